import Foundation

/// Where a run's configuration file is: the path given on the command line (`--config`),
/// else `$SECRETSMITH_CONFIG` (when set and not empty), else `secretsmith.yaml` in the
/// working directory.
public struct ConfigurationLocation: Sendable, Hashable {
    /// What named the path.
    public enum Source: Sendable, Hashable {
        /// The caller's explicit path (`--config`).
        case explicit
        /// The `SECRETSMITH_CONFIG` environment variable.
        case environmentVariable
        /// Nothing: the default, `secretsmith.yaml` in the working directory.
        case workingDirectory
    }

    /// The file name looked for in the working directory when nothing names a path.
    public static let defaultFileName = "secretsmith.yaml"

    /// The path, as given (relative paths are relative to the working directory).
    public var path: String
    /// What named it.
    public var source: Source

    public init(path: String, source: Source) {
        self.path = path
        self.source = source
    }

    /// Finds the configuration file's path; reads nothing.
    ///
    /// - Parameters:
    ///   - explicit: the path the caller was given (`--config`), if any.
    ///   - environment: the process environment (for `SECRETSMITH_CONFIG`).
    public static func discover(explicit: String?, environment: [String: String]) -> ConfigurationLocation {
        if let explicit { return ConfigurationLocation(path: explicit, source: .explicit) }
        if let path = environment["SECRETSMITH_CONFIG"], !path.isEmpty {
            return ConfigurationLocation(path: path, source: .environmentVariable)
        }
        return ConfigurationLocation(path: defaultFileName, source: .workingDirectory)
    }

    /// What was tried to find the file, as a sentence for an error's hint.
    public var whatWasTried: String {
        switch source {
        case .explicit:
            return "--config named this file."
        case .environmentVariable:
            return "SECRETSMITH_CONFIG named this file (no --config was given)."
        case .workingDirectory:
            return "No --config was given and SECRETSMITH_CONFIG is not set, so secretsmith looked for "
                + "\(Self.defaultFileName) in the working directory."
        }
    }

    /// Loads the configuration (``Configuration/load(path:environment:)``).
    ///
    /// - Throws: ``ConfigurationError``; when the file does not exist, its hint says what
    ///   was tried (``whatWasTried``).
    public func load(environment: [String: String]) throws(ConfigurationError) -> Configuration {
        do {
            return try Configuration.load(path: path, environment: environment)
        } catch {
            var failure = error
            if failure.hint == nil && !FilePaths.containsNUL(path) && !FileManager.default.fileExists(atPath: path) {
                failure.hint = whatWasTried
            }
            throw failure
        }
    }
}
