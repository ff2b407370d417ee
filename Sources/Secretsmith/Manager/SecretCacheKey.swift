/// Identifies one cached secret version: the environment it was read for, the endpoint and
/// the version's resource name.
///
/// The environment is part of the key so that two environments that name the same
/// resource with different credentials never share an entry (environment isolation).
///
/// The key hashes its three strings once, when it is made, so that a cache look-up with a
/// key kept by a resolved reference hashes one integer rather than three strings.
package struct SecretCacheKey: Sendable, Hashable, CustomStringConvertible {
    package let environment: String
    package let endpoint: String
    /// `projects/P[/locations/L]/secrets/S/versions/V` as requested (V may be `latest`).
    package let versionName: String
    private let precomputedHash: Int

    package init(environment: String, endpoint: String, versionName: String) {
        self.environment = environment
        self.endpoint = endpoint
        self.versionName = versionName
        var hasher = Hasher()
        hasher.combine(environment)
        hasher.combine(endpoint)
        hasher.combine(versionName)
        precomputedHash = hasher.finalize()
    }

    package static func == (lhs: SecretCacheKey, rhs: SecretCacheKey) -> Bool {
        lhs.precomputedHash == rhs.precomputedHash && lhs.versionName == rhs.versionName
            && lhs.environment == rhs.environment && lhs.endpoint == rhs.endpoint
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(precomputedHash)
    }

    package var description: String { "\(environment):\(versionName)" }
}
