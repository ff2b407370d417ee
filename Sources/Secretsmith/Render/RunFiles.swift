import Foundation
import YAML

/// Every file one run reads or writes, compared where the bytes land, so that no run
/// writes over its own configuration, a template, `secretsmith.lock`, a credentials key
/// file, another output, or a `--manifest`, `--metrics-file` or `--trace-file`.
///
/// Paths are compared after ``FilePaths/resolved(_:followFinalLink:)``: lexical
/// normalisation (`sub/../t.tmpl` is `t.tmpl`), then the real path of the deepest existing
/// parent (links in directories followed), then the final component's links for files that
/// are read and for outputs with `follow_symlinks: true`. Two outputs writing one file, or
/// a file written that is also read, is a configuration error (exit 65) naming both.
package struct RunFiles: Sendable {
    /// One file of the run.
    package struct File: Sendable {
        /// What it is, for messages: `the configuration file`, `output "app"`,
        /// `the template of output "app"`, `--manifest`.
        package var role: String
        /// The path as configured (absolute) or given.
        package var path: String
        /// Whether the run writes it.
        package var writes: Bool
        /// Where to point an error about it: the key path in the configuration.
        package var keyPath: String?
        package var mark: Mark?
        /// Follow the final component's symbolic links when comparing.
        package var followFinalLink: Bool
        /// An `atomic_dir: true` output: its directory's names starting with `..` (`..data`,
        /// `..data_tmp`, the timestamped data directories) belong to the group.
        package var atomicDirectory: Bool = false

        package init(
            role: String, path: String, writes: Bool, keyPath: String? = nil, mark: Mark? = nil,
            followFinalLink: Bool, atomicDirectory: Bool = false
        ) {
            self.atomicDirectory = atomicDirectory
            self.role = role
            self.path = path
            self.writes = writes
            self.keyPath = keyPath
            self.mark = mark
            self.followFinalLink = followFinalLink
        }
    }

    /// The files, in the order they were added.
    package var files: [File]

    package init(files: [File] = []) {
        self.files = files
    }

    /// The files a run of these outputs touches: the configuration file, `secretsmith.lock`,
    /// every output's template (selected or not: none may be overwritten), credentials key
    /// files, and the selected outputs (written).
    ///
    /// - Parameters:
    ///   - configuration: The loaded configuration.
    ///   - selected: The outputs the run writes.
    ///   - environment: the process environment, for the file Application Default
    ///     Credentials read (``ApplicationDefaultCredentials/credentialsFilePath(environment:)``).
    package static func of(
        _ configuration: Configuration, selected: [OutputConfiguration],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> RunFiles {
        var files: [File] = []
        files.append(
            File(role: "the configuration file", path: FilePaths.absolute(configuration.file), writes: false,
                 followFinalLink: true))
        files.append(
            File(role: "the lock file", path: FilePaths.absolute(LockFile.fileName, relativeTo: configuration.directory),
                 writes: false, followFinalLink: true))
        for output in configuration.outputs {
            if let template = output.template {
                files.append(
                    File(role: "the template of output \"\(output.name)\"", path: template, writes: false,
                         keyPath: "outputs.\(output.name).template", mark: output.mark, followFinalLink: true))
            }
        }
        for (keyPath, path, role) in credentialFiles(configuration, environment: environment) {
            files.append(File(role: role, path: path, writes: false, keyPath: keyPath, followFinalLink: true))
        }
        for output in selected {
            files.append(
                File(role: "output \"\(output.name)\"", path: output.path, writes: true,
                     keyPath: "outputs.\(output.name).path", mark: output.mark, followFinalLink: output.followSymlinks,
                     atomicDirectory: output.atomicDirectory))
        }
        return RunFiles(files: files)
    }

    /// Every clash: a written file that is also another file of the run. Each pair is
    /// reported once, located at the written file's key (or the later file's).
    ///
    /// - Parameters:
    ///   - configurationFile: the configuration's path as given, for messages.
    /// - Returns: One ``ConfigurationError`` (exit 65) per clash, naming both files and the
    ///   path; empty when there is none.
    ///   - including: which pairs to report (default all), e.g. only those with a file named
    ///     on the command line when the outputs' own pairs are reported elsewhere.
    package func clashes(
        configurationFile: String?, including: (File, File) -> Bool = { _, _ in true }
    ) -> [ConfigurationError] {
        var resolved: [String] = []
        var errors: [ConfigurationError] = []
        for file in files {
            do throws(PathResolutionError) {
                resolved.append(try FilePaths.resolved(file.path, followFinalLink: file.followFinalLink))
            } catch {
                resolved.append(FilePaths.absolute(file.path))
                if file.writes {
                    errors.append(
                        ConfigurationError(
                            file: configurationFile, mark: file.mark, keyPath: file.keyPath,
                            message: "\(file.role) \(file.path) leads through more than \(FilePaths.maximumLinks) symbolic links"))
                }
            }
        }
        for later in files.indices {
            for earlier in files.indices where earlier < later {
                guard files[earlier].writes || files[later].writes, resolved[earlier] == resolved[later],
                    including(files[earlier], files[later])
                else { continue }
                // Two reads of one file are fine; anything written must be written alone.
                let (writer, other) = files[later].writes ? (files[later], files[earlier]) : (files[earlier], files[later])
                let message: String
                if other.writes {
                    message = "\(other.role) and \(writer.role) both write \(resolved[later])"
                } else {
                    let shown = resolved[later] == writer.path ? writer.path : "\(writer.path) (\(resolved[later]))"
                    message = "\(writer.role) would write \(shown), which is \(other.role)"
                }
                errors.append(
                    ConfigurationError(
                        file: writer.keyPath == nil ? nil : configurationFile, mark: writer.mark, keyPath: writer.keyPath,
                        message: message, hint: "Give each file its own path."))
                break
            }
        }
        errors += reservedNameClashes(resolved: resolved, configurationFile: configurationFile, including: including)
        return errors
    }

    /// A written file inside an `atomic_dir` group's directory under a name the group
    /// reserves: a component starting with `..` (`..data`, `..data_tmp`, a timestamped data
    /// directory, or anything inside those). The group's switch would replace or remove it.
    private func reservedNameClashes(
        resolved: [String], configurationFile: String?, including: (File, File) -> Bool
    ) -> [ConfigurationError] {
        var errors: [ConfigurationError] = []
        for other in files.indices where files[other].writes {
            // The first group whose reserved names hold this file; one error per file.
            let found = files.indices.compactMap { group -> (Int, String)? in
                guard group != other, self.files[group].atomicDirectory, self.files[group].writes,
                    including(self.files[group], self.files[other])
                else { return nil }
                let directory = FilePaths.directory(of: resolved[group])
                let prefix = directory == "/" ? "/" : directory + "/"
                guard resolved[other].hasPrefix(prefix),
                    resolved[other].dropFirst(prefix.count).split(separator: "/").contains(where: { $0.hasPrefix("..") })
                else { return nil }
                return (group, directory)
            }.first
            guard let (group, directory) = found else { continue }
            let file = files[other]
            errors.append(
                ConfigurationError(
                    file: file.keyPath == nil ? nil : configurationFile, mark: file.mark, keyPath: file.keyPath,
                    message: "\(file.role) would write \(resolved[other]), a name that \(files[group].role)'s "
                        + "atomic_dir: true reserves in \(directory) (names starting with \"..\" hold its data)",
                    hint: "Give each file its own path, outside the names starting with \"..\"."))
        }
        return errors
    }

    /// Files named on the command line that the run writes (`--manifest`,
    /// `--metrics-file`, `--trace-file`): compared as written, without following a final
    /// link (the writers refuse one).
    ///
    /// - Parameter flags: (flag, path as given) pairs; nil paths are skipped.
    package static func commandLine(_ flags: [(flag: String, path: String?)]) -> [File] {
        flags.compactMap { flag, path in
            path.map { File(role: flag, path: FilePaths.absolute($0), writes: true, followFinalLink: false) }
        }
    }

    /// The `service_account_file` paths of every layer that sets credentials, and the file
    /// Application Default Credentials read where a layer uses `adc` (also as the source of
    /// `impersonate`, and as the built-in default when `defaults` sets no credentials).
    /// `service_account_json` reads a variable, not a file.
    private static func credentialFiles(
        _ configuration: Configuration, environment: [String: String]
    ) -> [(String, String, String)] {
        let adcFile = ApplicationDefaultCredentials.credentialsFilePath(environment: environment)
            .map { FilePaths.absolute($0) }
        func paths(_ credentials: CredentialsConfiguration?, _ keyPath: String) -> [(String, String, String)] {
            switch credentials {
            case .serviceAccountFile(let path): [(keyPath, path, "the credentials file")]
            case .applicationDefault:
                adcFile.map { [(keyPath, $0, "the credentials file Application Default Credentials read")] } ?? []
            case .impersonate(_, _, _, let source): paths(source, keyPath + ".source")
            default: []
            }
        }
        var result = paths(configuration.global.credentials ?? .applicationDefault, "defaults.credentials")
        for environment in configuration.environments {
            result += paths(environment.settings.credentials, "environments.\(environment.name).credentials")
            for project in environment.projects {
                result += paths(
                    project.settings.credentials,
                    "environments.\(environment.name).projects.\(project.alias).credentials")
            }
        }
        return result
    }
}
