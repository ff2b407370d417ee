import YAML

/// One entry under `environments`.
public struct EnvironmentConfiguration: Sendable, Hashable {
    /// The key under `environments:` (`--env`, `SECRETSMITH_ENV`, the first segment of an
    /// absolute reference). Any text: `no` and `on` are names here.
    public let name: String
    /// `projects`, in file order.
    public let projects: [ProjectConfiguration]
    /// `strict_isolation` (default true): a render for this environment may reference only
    /// its own projects.
    public let strictIsolation: Bool
    /// The environment layer's settings.
    public internal(set) var settings: LayerSettings
    /// Where the environment's key is.
    public let mark: Mark
    /// Set when a value of this environment uses a `${NAME}` whose variable is not set:
    /// the positioned error, thrown when the environment is used (a reference resolved in
    /// it, a render for it), and never when only other environments are. The environment's
    /// projects and settings are then empty.
    public var variableError: ConfigurationError? = nil

    /// The project with this alias.
    public func project(alias: String) -> ProjectConfiguration? {
        projects.first { $0.alias == alias }
    }
}
