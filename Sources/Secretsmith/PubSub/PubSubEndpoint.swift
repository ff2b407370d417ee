import Foundation

/// Where Pub/Sub requests go: a base URL and whether they carry credentials.
///
/// The service is `https://pubsub.googleapis.com`
/// (<https://cloud.google.com/pubsub/docs/reference/rest>). `PUBSUB_EMULATOR_HOST=HOST:PORT`
/// is the convention of Google's client libraries and `gcloud beta emulators pubsub`
/// for its emulator: plain HTTP and no credentials.
package struct PubSubEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The base URL without a trailing slash, e.g. `https://pubsub.googleapis.com`.
    package var baseURL: String
    /// Whether requests carry `Authorization: Bearer`. False for the emulator.
    package var requiresCredentials: Bool

    /// The production endpoint.
    package static let globalDefault = "https://pubsub.googleapis.com"

    /// The environment variable naming an emulator, `HOST:PORT`.
    package static let emulatorHostVariable = "PUBSUB_EMULATOR_HOST"

    package init(baseURL: String, requiresCredentials: Bool) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.requiresCredentials = requiresCredentials
    }

    /// The endpoint for a process environment.
    ///
    /// - Parameters:
    ///   - configured: the base URL to use when no emulator is named (an `https` URL;
    ///     default ``globalDefault``).
    ///   - environment: the process environment; a non-empty `PUBSUB_EMULATOR_HOST`
    ///     (`host:port`, `[v6]:port`, an optional `http://` prefix) wins and means plain
    ///     HTTP without credentials.
    /// - Throws: ``ConfigurationError`` when the emulator host or the URL is not a usable
    ///   address: no host, no port for the emulator, a port outside 1–65535, a scheme other
    ///   than http or https, user information, a query or a fragment.
    package static func resolve(configured: String = globalDefault, environment: [String: String]) throws
        -> PubSubEndpoint
    {
        if let emulatorHost = environment[emulatorHostVariable], !emulatorHost.isEmpty {
            let host = emulatorHost.hasPrefix("http://") ? String(emulatorHost.dropFirst(7)) : emulatorHost
            let base = "http://\(host)"
            try SecretManagerEndpoint.validate(
                base, what: "\(emulatorHostVariable) \"\(emulatorHost)\"", requirePort: true)
            return PubSubEndpoint(baseURL: base, requiresCredentials: false)
        }
        var base = configured
        while base.hasSuffix("/") { base.removeLast() }
        try SecretManagerEndpoint.validate(
            base, what: "Pub/Sub endpoint \"\(SecretManagerEndpoint.redacted(base))\"", requirePort: false)
        return PubSubEndpoint(baseURL: base, requiresCredentials: true)
    }

    package var description: String { baseURL }

    /// `HOST:PORT` of the base URL, the port defaulted from the scheme, for messages.
    package var hostAndPort: String {
        SecretManagerEndpoint(baseURL: baseURL, requiresCredentials: requiresCredentials).hostAndPort
    }
}
