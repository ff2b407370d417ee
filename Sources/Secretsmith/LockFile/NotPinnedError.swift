/// A reference of a `--frozen` run that the lock file does not pin. Found before any
/// Secret Manager call.
public struct NotPinnedError: SecretsmithError, Hashable {
    /// The lock file's path.
    public var lockPath: String
    /// The environment the reference resolved in.
    public var environment: String
    /// The version resource the configuration asks for.
    public var resource: String

    public var kind: FailureKind { .configuration }

    public var description: String {
        "\(resource) (environment \(environment)) is not pinned in \(lockPath); run `secretsmith lock --env \(environment)` "
            + "to pin it, or run without --frozen"
    }
}
