/// `secretsmith.lock` is missing (with `--frozen`), unreadable or malformed.
///
/// Kind ``FailureKind/configuration`` (exit 65): the lock is part of the configuration a
/// deploy is made from.
public struct LockFileError: SecretsmithError, Hashable {
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
