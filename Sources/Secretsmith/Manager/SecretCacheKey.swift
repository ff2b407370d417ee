/// Identifies one cached secret version: the environment it was read for, the endpoint and
/// the version's resource name.
///
/// The environment is part of the key so that two environments that name the same
/// resource with different credentials never share an entry (environment isolation).
public struct SecretCacheKey: Sendable, Hashable, CustomStringConvertible {
    public var environment: String
    public var endpoint: String
    /// `projects/P[/locations/L]/secrets/S/versions/V` as requested (V may be `latest`).
    public var versionName: String

    public init(environment: String, endpoint: String, versionName: String) {
        self.environment = environment
        self.endpoint = endpoint
        self.versionName = versionName
    }

    public var description: String { "\(environment):\(versionName)" }
}
