/// An environment variable the child of `exec` cannot be given.
public struct ExecEnvironmentError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidVariable = "INVALID_ENVIRONMENT_VARIABLE"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The key is not a name a process environment can hold, or the value cannot be passed.
        public static let invalidVariable = Code(.invalidVariable)
    }

    /// What is wrong.
    public var code: Code { .invalidVariable }
    public var shortDescription: String { code.description }

    /// The variable's name.
    public var key: String
    /// What is wrong, naming the key (never the value).
    public var message: String

    public var kind: FailureKind { .configuration }
    public var description: String { message }
}
