/// Credentials could not produce an access token.
///
/// The description names the credential source (a file path, an environment variable's
/// name, a service account's email) and never a key, an assertion or a token.
public struct AuthenticationError: SecretsmithError, Equatable {
    /// What went wrong, derived from ``kind``.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case credentialsRefused = "CREDENTIALS_REFUSED"
            case tokenEndpointUnavailable = "TOKEN_ENDPOINT_UNAVAILABLE"
            case unusableCredentials = "UNUSABLE_CREDENTIALS"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The credentials are missing, or the token endpoint refused them (kind `.permission`).
        public static let credentialsRefused = Code(.credentialsRefused)

        /// The token endpoint could not be reached or kept failing (kind `.unavailable`).
        public static let tokenEndpointUnavailable = Code(.tokenEndpointUnavailable)

        /// The credentials are of a kind or shape this build cannot use (kind `.configuration`).
        public static let unusableCredentials = Code(.unusableCredentials)
    }

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

    /// What went wrong: ``Code/unusableCredentials`` for kind `.configuration`,
    /// ``Code/tokenEndpointUnavailable`` for `.unavailable`, else ``Code/credentialsRefused``.
    public var code: Code {
        switch kind {
        case .configuration, .usage, .internalError: .unusableCredentials
        case .unavailable: .tokenEndpointUnavailable
        default: .credentialsRefused
        }
    }

    /// `AUTHENTICATION`, whatever the code (the label logs and metrics document).
    public var shortDescription: String { "AUTHENTICATION" }

    /// `Credentials from SOURCE: MESSAGE.`
    public var description: String {
        let text = "Credentials from \(source): \(message)"
        return text.endingSentence
    }
}
