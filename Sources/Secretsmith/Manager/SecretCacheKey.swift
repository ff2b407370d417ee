/// Identifies one cached secret version: the environment it was read for, the endpoint and
/// the version's resource name.
///
/// The environment is part of the key so that two environments that name the same
/// resource with different credentials never share an entry (environment isolation).
package struct SecretCacheKey: Sendable, Hashable, CustomStringConvertible {
    package var environment: String
    package var endpoint: String
    /// `projects/P[/locations/L]/secrets/S/versions/V` as requested (V may be `latest`).
    package var versionName: String

    package init(environment: String, endpoint: String, versionName: String) {
        self.environment = environment
        self.endpoint = endpoint
        self.versionName = versionName
    }

    package var description: String { "\(environment):\(versionName)" }
}
