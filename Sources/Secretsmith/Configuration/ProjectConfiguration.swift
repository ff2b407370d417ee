import YAML

/// One entry under `environments.<env>.projects`: an alias for a Google Cloud project.
public struct ProjectConfiguration: Sendable, Hashable {
    /// The key under `projects:`, used in references.
    public let alias: String
    /// `project_id` (required): the Google Cloud project id or number.
    public let projectID: String
    /// `secrets`, in file order.
    public let secrets: [SecretDeclaration]
    /// `allow_undeclared` (default false): whether a reference may name a secret id not
    /// listed under `secrets`.
    public let allowUndeclared: Bool
    /// The project layer's settings.
    public let settings: LayerSettings
    /// Where the project's key is.
    public let mark: Mark

    /// The declared secret with this name.
    public func secret(named name: String) -> SecretDeclaration? {
        secrets.first { $0.name == name }
    }
}
