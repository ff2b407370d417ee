import YAML

/// One entry of `outputs:`: a file secretsmith writes.
public struct OutputConfiguration: Sendable, Hashable {
    /// `name` (required, unique; letters, digits, `_`, `-`, `.`): selects it with `--only`.
    public let name: String
    /// `format` (required).
    public let format: OutputFormat
    /// `path` (required): the destination, absolute (resolved against the configuration
    /// file's directory).
    public internal(set) var path: String
    /// `template`: the template file, absolute; set exactly when `format` is `template`.
    public internal(set) var template: String?
    /// `values`, in file order; empty exactly when `format` is `template`.
    public let values: [OutputValue]
    /// The file mode: `mode` if written, else the `file_mode` of the output's
    /// `environment`, else `defaults.file_mode`, else 0600. See
    /// `Configuration.fileMode(for:activeEnvironment:)` for the active environment's.
    public internal(set) var mode: FileMode
    /// `mode` as written on the output, if it was.
    public let explicitMode: FileMode?
    /// `environment`: the environment relative references resolve in, overriding the
    /// active one.
    public let environment: String?
    /// `follow_symlinks` (default false): whether a destination that is a symbolic link is
    /// written through instead of refused.
    public let followSymlinks: Bool
    /// `create_dirs` (default true): whether missing parent directories are created (0700).
    public let createDirectories: Bool
    /// `owner`: a user name or numeric uid to chown the file to.
    public let owner: String?
    /// `group`: a group name or numeric gid to chgrp the file to.
    public let group: String?
    /// `allow_world_readable` (default false): permits a `mode` granting access to others.
    public let allowWorldReadable: Bool
    /// `atomic_dir` (default false): the path becomes a symbolic link `NAME -> ..data/NAME`,
    /// and the outputs with `atomic_dir: true` in one directory are switched as one unit
    /// by replacing the `..data` link (Kubernetes' ConfigMap volume layout).
    public let atomicDirectory: Bool
    /// Where the output's entry starts.
    public let mark: Mark
    /// `on_change`: the command `secretsmith watch` runs after this output's file changed.
    public var onChange: OutputChangeCommand? = nil
    /// Set when a value of this output uses a `${NAME}` whose variable is not set (an
    /// output path with `${SECRETSMITH_ENV}` and no active environment): the positioned
    /// error, reported when the output is selected for a render, a check, a lock or an
    /// exec, and never by commands that do not use the output (`get`, `explain`). Only
    /// `name` and `mark` are meaningful then.
    public var variableError: ConfigurationError? = nil
    /// When ``variableError`` is `${SECRETSMITH_ENV}` unset: the output as decoded with
    /// `SECRETSMITH_ENV` set to each declared environment's name (keyed by it), used by a
    /// plan whose active environment is given explicitly.
    package var activeEnvironmentVariants: [String: OutputConfiguration] = [:]
}
