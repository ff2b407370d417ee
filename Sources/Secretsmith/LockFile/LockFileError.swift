/// `secretsmith.lock` is missing (with `--frozen`), unreadable or malformed.
///
/// Kind ``FailureKind/configuration`` (exit 65): the lock is part of the configuration a
/// deploy is made from.
public struct LockFileError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidLockFile = "INVALID_LOCK_FILE"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The lock file is missing, unreadable or malformed.
        public static let invalidLockFile = Code(.invalidLockFile)
    }

    /// What is wrong.
    public var code: Code = .invalidLockFile
    public var shortDescription: String { code.description }

    /// The lock file's path.
    public var path: String
    /// What is wrong, as a sentence without trailing period.
    public var message: String
    /// How to fix it.
    public var hint: String?

    public init(path: String, message: String, hint: String? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var kind: FailureKind { .configuration }

    public var description: String {
        var text = "\(path): \(message)."
        if let hint { text += " " + hint }
        return text
    }
}
