/// One pinned secret version in `secretsmith.lock`: the version a reference asked for
/// (`latest`, an alias or a number) and the version number it resolved to when the lock
/// was written. Never a value.
public struct LockPin: Sendable, Hashable, Codable {
    /// The environment the reference resolved in.
    public var environment: String
    /// The version as the configuration asks for it:
    /// `projects/<project_id>[/locations/<location>]/secrets/<secret_id>/versions/<latest|alias|N>`.
    public var resource: String
    /// The version number `resource` resolved to (from the `name` of Secret Manager's
    /// `GetSecretVersion` answer).
    public var version: Int
    /// The version's name as Secret Manager answered it (with the project number).
    public var name: String
    /// The version's etag when it was locked; it changes when the version's state does.
    public var etag: String?

    public init(environment: String, resource: String, version: Int, name: String, etag: String?) {
        self.environment = environment
        self.resource = resource
        self.version = version
        self.name = name
        self.etag = etag
    }

    private enum CodingKeys: String, CodingKey {
        case environment, resource, version, name, etag
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        environment = try container.decode(String.self, forKey: .environment)
        resource = try container.decode(String.self, forKey: .resource)
        version = try LockFile.wholeNumber(in: container, forKey: .version)
        name = try container.decode(String.self, forKey: .name)
        etag = try container.decodeIfPresent(String.self, forKey: .etag)
    }

    /// The version part of ``resource``: `latest`, an alias, or a number.
    public var requestedVersion: String {
        guard let range = resource.range(of: "/versions/", options: .backwards) else { return "" }
        return String(resource[range.upperBound...])
    }

    /// The resource name of the pinned version itself:
    /// `projects/<project_id>[/locations/<location>]/secrets/<secret_id>/versions/<version>`.
    public var pinnedResource: String {
        guard let range = resource.range(of: "/versions/", options: .backwards) else { return resource }
        return String(resource[..<range.upperBound]) + String(version)
    }

    /// Orders pins by environment, then resource, as the file lists them.
    static func fileOrder(_ lhs: LockPin, _ rhs: LockPin) -> Bool {
        (lhs.environment, lhs.resource) < (rhs.environment, rhs.resource)
    }
}
