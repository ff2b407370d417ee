/// Credentials could not produce an access token.
///
/// The description names the credential source (a file path, an environment variable's
/// name, a service account's email) and never a key, an assertion or a token.
public struct AuthenticationError: SecretsmithError, Equatable {
    /// The credential source, e.g. `environment variable CI_TOKEN`.
    public var source: String
    /// What went wrong.
    public var message: String
    /// The exit-code kind: `.permission` (77) for refused or missing credentials,
    /// `.unavailable` (69) when a token endpoint could not be reached,
    /// `.configuration` (65) for credentials this build cannot use.
    public var kind: FailureKind

    public init(source: String, message: String, kind: FailureKind = .permission) {
        self.source = source
        self.message = message
        self.kind = kind
    }

    public var description: String { "credentials from \(source): \(message)" }
}
