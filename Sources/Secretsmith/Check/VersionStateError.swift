/// A secret version exists but is not ENABLED (DISABLED or DESTROYED), so it cannot be
/// read. Found from its metadata, without reading a payload.
///
/// Kind ``FailureKind/notFound`` (exit 66), the same as Secret Manager's
/// FAILED_PRECONDITION when such a version is accessed.
public struct VersionStateError: SecretsmithError, Hashable {
    /// The version resource as the configuration asks for it (`.../versions/latest`).
    public var resource: String
    /// The version number it resolved to.
    public var version: Int
    /// Its state.
    public var state: SecretVersionMetadata.State

    public init(resource: String, version: Int, state: SecretVersionMetadata.State) {
        self.resource = resource
        self.version = version
        self.state = state
    }

    public var kind: FailureKind { .notFound }

    public var description: String {
        let which = resource.hasSuffix("/versions/\(version)") ? "version \(version)" : "resolves to version \(version), which"
        return "\(resource): \(which) is \(state.rawValue); only ENABLED versions can be read"
    }
}
