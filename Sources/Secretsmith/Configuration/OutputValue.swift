import YAML

/// One `values:` entry of a non-template output: an output key and the reference whose
/// secret becomes its value.
public struct OutputValue: Sendable, Hashable {
    /// The key (an environment variable name for dotenv, shell and docker-env-file).
    public let key: String
    /// The reference text as written (after `${...}` expansion).
    public let reference: String
    /// The parsed reference.
    public let parsedReference: SecretReference
    /// Where the reference text is.
    public let mark: Mark
    /// Where the key is.
    public let keyMark: Mark
}
