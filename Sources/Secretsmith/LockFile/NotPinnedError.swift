/// A reference of a `--frozen` run that the lock file does not pin. Found before any
/// Secret Manager call.
public struct NotPinnedError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case notPinned = "NOT_PINNED"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The lock file has no entry for the version.
        public static let notPinned = Code(.notPinned)
    }

    /// What is wrong.
    public var code: Code { .notPinned }
    public var shortDescription: String { code.description }

    /// The lock file's path.
    public var lockPath: String
    /// The environment the reference resolved in.
    public var environment: String
    /// The version resource the configuration asks for.
    public var resource: String

    public var kind: FailureKind { .configuration }

    public var description: String {
        "\(resource) (environment \"\(environment)\") is not pinned in \(lockPath); run \"secretsmith lock --env \(environment)\" "
            + "to pin it, or run without --frozen."
    }
}
