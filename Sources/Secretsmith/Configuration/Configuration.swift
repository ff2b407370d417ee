#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import YAML

/// A parsed `secretsmith.yaml`: four layers of settings (built-in defaults → `defaults` →
/// `environments.<env>` → `projects.<alias>` → `secrets.<name>`, nearest wins per leaf
/// setting) and the outputs to write. See the README's "Configuration".
///
/// `global` is the `defaults:` section as written (unset keys are `nil`); `defaults` is
/// the effective global settings (built-in defaults filled in); `settings(forEnvironment:)`
/// adds one environment; `resolve(_:activeEnvironment:)` gives one secret's settings.
public struct Configuration: Sendable {
    /// The file's path as given.
    public let file: String
    /// The absolute directory relative paths in the file were resolved against.
    public let directory: String
    /// The `defaults:` section (the global layer) as written; see `defaults` for the
    /// effective values.
    public let global: LayerSettings
    /// `environments:`, in file order.
    public let environments: [EnvironmentConfiguration]
    /// `outputs:`, in file order.
    public let outputs: [OutputConfiguration]
    /// `serve:`, the settings of `secretsmith serve`; `nil` when the file has no such section.
    package internal(set) var serve: ServeConfiguration?
    /// Effective settings already resolved by ``resolve(_:activeEnvironment:)`` (a cache shared
    /// by copies of this value; the layers never change after loading).
    let resolvedSettings = ResolvedSettingsMemo()

    /// The largest configuration file read, in bytes (1 MiB).
    public static let maxFileBytes = YAMLLimits.default.maxBytes

    init(
        file: String, directory: String, global: LayerSettings, environments: [EnvironmentConfiguration],
        outputs: [OutputConfiguration]
    ) {
        self.file = file
        self.directory = directory
        self.global = global
        self.environments = environments
        self.outputs = outputs
    }

    /// Reads and parses a configuration file.
    ///
    /// - Parameters:
    ///   - path: the file's path (relative to the working directory, or absolute); its
    ///     directory is where relative paths in the file resolve.
    ///   - environment: variables for `${NAME}` expansion (normally the process environment).
    /// - Throws: `ConfigurationError` naming the path when the file cannot be read or is
    ///   larger than `maxFileBytes`, and every error `parse` throws.
    public static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> Configuration {
        let bytes = try readFile(path)
        return try parse(bytes, file: path, environment: environment, directory: FilePaths.directory(of: path))
    }

    /// Parses configuration text.
    ///
    /// - Parameters:
    ///   - bytes: the file's content (UTF-8, at most `maxFileBytes`).
    ///   - file: the name used in errors.
    ///   - environment: variables for `${NAME}` expansion.
    ///   - directory: where relative paths resolve (absolute); default the directory of `file`.
    /// - Throws: `ConfigurationError` with file, line, column and key path: invalid YAML
    ///   (libyaml's problem text), a duplicate or unknown key (with a did-you-mean hint), a
    ///   value of the wrong type or out of range, an unset `${NAME}`, a missing required key,
    ///   a mode granting access to others without `allow_world_readable: true`.
    public static func parse(
        _ bytes: [UInt8], file: String, environment: [String: String], directory: String? = nil
    ) throws(ConfigurationError) -> Configuration {
        let root: YAMLNode?
        do throws(YAMLError) {
            root = try YAMLParser.parse(bytes, file: file, limits: .default)
        } catch {
            var failure = ConfigurationError(error)
            failure.hint = yamlHint(for: error, in: bytes)
            throw failure
        }
        let decoder = ConfigurationDecoder(
            file: file, directory: directory ?? FilePaths.directory(of: file), environment: environment
        )
        return try decoder.configuration(from: root)
    }

    /// What usually causes a YAML syntax error libyaml reports without saying so: a tab
    /// in the indentation (YAML allows only spaces there), or keys indented unevenly.
    static func yamlHint(for error: YAMLError, in bytes: [UInt8]) -> String? {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        func indentationHasTab(_ line: ArraySlice<UInt8>) -> Bool {
            line.prefix { $0 == 0x20 || $0 == 0x09 }.contains(0x09)
        }
        let tabLine = lines.firstIndex(where: indentationHasTab).map { lines.distance(from: lines.startIndex, to: $0) + 1 }
        if error.message.contains("found character that cannot start any token"), let mark = error.mark,
           mark.line >= 1, mark.line <= lines.count
        {
            let line = lines[lines.startIndex + mark.line - 1]
            let offset = line.startIndex + mark.column - 1
            if (offset < line.endIndex && line[offset] == 0x09) || indentationHasTab(line) {
                return "YAML does not allow tabs for indentation; indent with spaces."
            }
        }
        if let tabLine, error.message.hasPrefix("invalid YAML:") {
            return "Line \(tabLine) is indented with a tab, and YAML allows only spaces there; indent with spaces."
        }
        let indentation = [
            "mapping values are not allowed in this context", "did not find expected key",
            "did not find expected '-' indicator", "block sequence entries are not allowed in this context",
            "could not find expected ':'",
        ]
        if indentation.contains(where: { error.message.contains($0) }) {
            return "This is usually indentation: the keys of one mapping start in the same column and nested "
                + "keys further right, with spaces; a value after \"key:\" needs a space after the colon."
        }
        return nil
    }

    /// The declared environment names, in file order.
    public var environmentNames: [String] { environments.map(\.name) }

    /// The environment with this name.
    public func environment(named name: String) -> EnvironmentConfiguration? {
        environments.first { $0.name == name }
    }

    /// The output with this name.
    public func output(named name: String) -> OutputConfiguration? {
        outputs.first { $0.name == name }
    }

    /// Every secret declared in an environment, as absolute references in file order
    /// (for `check`); empty for an unknown environment.
    public func declaredReferences(in environment: String) -> [SecretReference] {
        guard let declared = self.environment(named: environment) else { return [] }
        return declared.projects.flatMap { project in
            project.secrets.map { SecretReference(environment: environment, project: project.alias, secret: $0.name) }
        }
    }

    /// The mode an output is written with when rendering for `activeEnvironment`: the
    /// output's own `mode`, else the `file_mode` of its `environment:` or of the active
    /// environment, else `defaults.file_mode`, else 0600.
    public func fileMode(for output: OutputConfiguration, activeEnvironment: String?) -> FileMode {
        if let mode = output.explicitMode { return mode }
        if let name = output.environment ?? activeEnvironment, let mode = environment(named: name)?.settings.fileMode {
            return mode
        }
        return global.fileMode ?? .ownerReadWrite
    }

    private static func readFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
        func failure(_ what: String) -> ConfigurationError {
            ConfigurationError(file: path, message: "cannot read the configuration file: \(what)")
        }
        guard !FilePaths.containsNUL(path) else { throw failure("the path contains a NUL byte") }
        // O_NONBLOCK: a FIFO or a device named as the configuration must not hang the run.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw failure("it is not a regular file") }
        guard Int(status.st_size) <= maxFileBytes else {
            throw failure("it is \(status.st_size) bytes, more than the limit of \(maxFileBytes) bytes")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maxFileBytes else {
                throw failure("it is more than the limit of \(maxFileBytes) bytes")
            }
        }
        return bytes
    }
}
