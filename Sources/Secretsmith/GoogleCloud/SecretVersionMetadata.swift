import Foundation

/// A secret version's metadata, as `GetSecretVersion` returns it
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions#SecretVersion>).
public struct SecretVersionMetadata: Sendable, Hashable, Decodable {
    /// The version's state.
    public enum State: String, Sendable, Hashable, Decodable {
        case enabled = "ENABLED"
        case disabled = "DISABLED"
        case destroyed = "DESTROYED"
        case unspecified = "STATE_UNSPECIFIED"
    }

    /// `projects/NUMBER[/locations/L]/secrets/S/versions/N`.
    public var name: String
    /// The version's state; `ENABLED` versions can be accessed.
    public var state: State
    /// When the version was created, RFC 3339.
    public var createTime: String?
    /// The version's etag, quoted as the server sends it.
    public var etag: String?

    /// The version number at the end of `name`.
    public var versionNumber: Int? {
        guard let range = name.range(of: "/versions/", options: .backwards) else { return nil }
        return Int(name[range.upperBound...])
    }
}
