/// An environment variable the child of `exec` cannot be given.
public struct ExecEnvironmentError: SecretsmithError, Hashable {
    /// The variable's name.
    public var key: String
    /// What is wrong, naming the key (never the value).
    public var message: String

    public var kind: FailureKind { .configuration }
    public var description: String { message }
}
