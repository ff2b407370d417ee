import YAML

/// One entry under `projects.<alias>.secrets`.
public struct SecretDeclaration: Sendable, Hashable {
    /// The key under `secrets:`, used in references.
    public let name: String
    /// The Secret Manager secret id (`secret_id`, default the name).
    public let secretID: String
    /// Whether `secret_id` was written (for `explain`).
    public let secretIDIsExplicit: Bool
    /// The secret layer's settings.
    public let settings: LayerSettings
    /// Where the declaration's key is.
    public let mark: Mark
}
