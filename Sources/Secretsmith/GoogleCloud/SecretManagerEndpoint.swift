import Foundation

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

    /// Whether requests go over plain HTTP (HTTP/1.1, one TCP connection per call in
    /// flight) rather than HTTPS (HTTP/2 by ALPN): the emulator, or an `http://` endpoint.
    public var isPlainHTTP: Bool { baseURL.utf8.prefix(7).map { $0 | 0x20 } == Array("http://".utf8) }

    public init(baseURL: String, requiresCredentials: Bool) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.requiresCredentials = requiresCredentials
    }

    /// The endpoint for a secret's settings.
    ///
    /// - Parameters:
    ///   - configured: the `endpoint:` setting (already regional when `location:` is set).
    ///   - location: the secret's `location:`, if regional.
    ///   - emulatorHost: `SECRET_MANAGER_EMULATOR_HOST` (`host:port`, `[v6]:port`), which
    ///     wins over everything and means plain HTTP without credentials, the convention of
    ///     Google's other emulators.
    /// - Throws: ``ConfigurationError`` when the emulator host or the endpoint is not a
    ///   usable address: no host, a port outside 1–65535, a scheme other than http or https,
    ///   user information, a query or a fragment.
    public static func resolve(configured: String, location: String?, emulatorHost: String?) throws
        -> SecretManagerEndpoint
    {
        if let emulatorHost, !emulatorHost.isEmpty {
            let host = emulatorHost.hasPrefix("http://") ? String(emulatorHost.dropFirst(7)) : emulatorHost
            let base = "http://\(host)"
            try validate(base, what: "SECRET_MANAGER_EMULATOR_HOST \"\(emulatorHost)\"", requirePort: true)
            return SecretManagerEndpoint(baseURL: base, requiresCredentials: false)
        }
        var base = configured
        while base.hasSuffix("/") { base.removeLast() }
        if let location, base == globalDefault {
            base = "https://secretmanager.\(location).rep.googleapis.com"
        }
        try validate(base, what: "endpoint \"\(redacted(base))\"", requirePort: false)
        return SecretManagerEndpoint(baseURL: base, requiresCredentials: true)
    }

    /// Checks a base URL before any request is made: AsyncHTTPClient traps on a port that
    /// does not fit 16 bits, so this must run first.
    static func validate(_ base: String, what: String, requirePort: Bool) throws {
        func failure(_ problem: String) -> ConfigurationError {
            ConfigurationError(message: "\(what) is not a usable address: \(problem)")
        }
        guard let components = URLComponents(string: base) else { throw failure("it is not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw failure("the scheme must be https (or http for a local emulator)")
        }
        guard let host = components.host, !host.isEmpty else { throw failure("it names no host") }
        if components.user != nil || components.password != nil {
            throw failure("it carries user information; give credentials with `credentials:` instead")
        }
        if components.query != nil || components.fragment != nil {
            throw failure("it has a query or a fragment")
        }
        if let port = components.port {
            guard (1...65535).contains(port) else { throw failure("the port \(port) is outside 1–65535") }
        } else if requirePort {
            throw failure("write it as HOST:PORT, e.g. 127.0.0.1:8085")
        }
    }

    /// The URL without user information, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil
        else { return url }
        components.user = nil
        components.password = nil
        return (components.string ?? "<unparsable URL>") + " (user information removed)"
    }

    public var description: String { baseURL }

    /// `HOST:PORT` of the base URL, the port defaulted from the scheme (443 for https,
    /// 80 for http), for messages about the connection.
    public var hostAndPort: String {
        guard let components = URLComponents(string: baseURL), let host = components.host else { return baseURL }
        let port = components.port ?? (components.scheme?.lowercased() == "http" ? 80 : 443)
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
