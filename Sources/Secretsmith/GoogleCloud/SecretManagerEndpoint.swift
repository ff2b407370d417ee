/// Where Secret Manager requests go: a base URL and whether they carry credentials.
///
/// Hosts follow <https://cloud.google.com/secret-manager/docs/reference/rest>: the global
/// service is `https://secretmanager.googleapis.com`; a regional secret is only reachable
/// on `https://secretmanager.LOCATION.rep.googleapis.com`.
public struct SecretManagerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The base URL without a trailing slash, e.g. `https://secretmanager.googleapis.com`.
    public var baseURL: String
    /// Whether requests carry `Authorization: Bearer`. False for the emulator.
    public var requiresCredentials: Bool

    /// The global production endpoint.
    public static let globalDefault = "https://secretmanager.googleapis.com"

    public init(baseURL: String, requiresCredentials: Bool) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.requiresCredentials = requiresCredentials
    }

    /// The endpoint for a secret's settings.
    ///
    /// - Parameters:
    ///   - configured: the `endpoint:` setting.
    ///   - location: the secret's `location:`, if regional.
    ///   - emulatorHost: `SECRET_MANAGER_EMULATOR_HOST` (`host:port`), which wins over
    ///     everything and means plain HTTP without credentials, the convention of Google's
    ///     other emulators.
    public static func resolve(configured: String, location: String?, emulatorHost: String?)
        -> SecretManagerEndpoint
    {
        if let emulatorHost, !emulatorHost.isEmpty {
            let host = emulatorHost.hasPrefix("http://") ? String(emulatorHost.dropFirst(7)) : emulatorHost
            return SecretManagerEndpoint(baseURL: "http://\(host)", requiresCredentials: false)
        }
        var base = configured
        while base.hasSuffix("/") { base.removeLast() }
        if let location, base == globalDefault {
            base = "https://secretmanager.\(location).rep.googleapis.com"
        }
        return SecretManagerEndpoint(baseURL: base, requiresCredentials: true)
    }

    public var description: String { baseURL }
}
