import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore
import Secretsmith

/// Where a JWT issuer's signing keys (a JSON Web Key Set, RFC 7517 §5) come from.
package enum JWKSSource: Sendable, Hashable, CustomStringConvertible {
    /// Fetched with `GET` from an `https` URL (`http` only on a loopback host: 127.0.0.1,
    /// ::1 or localhost), e.g. `https://kubernetes.default.svc/openid/v1/jwks` or
    /// `https://www.googleapis.com/oauth2/v3/certs`.
    case url(String)
    /// Read from a file (air-gapped clusters: `kubectl get --raw /openid/v1/jwks > FILE`).
    case file(String)

    /// Google's JWKS for the ID tokens it signs (`jwks_uri` of
    /// <https://accounts.google.com/.well-known/openid-configuration>).
    package static let google = JWKSSource.url("https://www.googleapis.com/oauth2/v3/certs")

    package var description: String {
        switch self {
        case .url(let url): url
        case .file(let path): path
        }
    }

    /// Checks that a URL source is `https`, or `http` on a loopback host.
    ///
    /// - Throws: ``AuthenticationSetupError`` naming the URL.
    package func validate() throws(AuthenticationSetupError) {
        guard case .url(let text) = self else { return }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty
        else {
            throw AuthenticationSetupError(path: text, reason: "The JWKS URL is not an absolute http(s) URL.")
        }
        let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw AuthenticationSetupError(
                path: text, reason: "The JWKS URL must use https (plain http only on a loopback address).")
        }
    }
}

/// The keys of one JWKS: fetched (or read) on first use, cached, refreshed when they expire
/// or when a token names a key the set does not have.
///
/// - Expiry: a fetched set is kept for the response's `Cache-Control: max-age` (clamped to
///   ``Timing/maxAgeBounds``), ``Timing/defaultMaxAge`` without one; a file is read again
///   after ``Timing/defaultMaxAge`` too.
/// - Unknown `kid`: the set is fetched again at most once per ``Timing/refreshInterval``
///   (a flood of tokens with made-up `kid`s costs one fetch per interval).
/// - Single flight: concurrent callers that need a refresh share one fetch.
/// - Failure: a fetch that fails keeps the previous keys (used past their expiry); only when
///   no key was ever obtained is the store unavailable.
package actor JWKSKeyStore {
    /// The store's timing; the defaults suit Kubernetes and Google.
    package struct Timing: Sendable, Hashable {
        /// How long a set without `max-age` is kept (default 15 minutes).
        package var defaultMaxAge: Duration
        /// The shortest and longest `max-age` honoured (default 1 minute ... 24 hours).
        package var maxAgeBounds: ClosedRange<Duration>
        /// The shortest time between two fetches for unknown keys or after a failure (default 30 s).
        package var refreshInterval: Duration
        /// The timeout of one fetch (default 10 s).
        package var fetchTimeout: Duration

        package init(
            defaultMaxAge: Duration = .seconds(900), maxAgeBounds: ClosedRange<Duration> = .seconds(60)...(.seconds(86_400)),
            refreshInterval: Duration = .seconds(30), fetchTimeout: Duration = .seconds(10)
        ) {
            self.defaultMaxAge = defaultMaxAge
            self.maxAgeBounds = maxAgeBounds
            self.refreshInterval = refreshInterval
            self.fetchTimeout = fetchTimeout
        }
    }

    /// One usable key.
    package struct Key: Sendable {
        /// `kty`: `RSA` or `EC`.
        package var keyType: String
        /// `alg`, when the set names it.
        package var algorithm: String?
        /// For each algorithm the key may verify (its `alg`, else every one its type and curve
        /// allow), a collection holding only this key pinned to that algorithm. Pinning keeps a
        /// token that names another algorithm from changing how later tokens are verified.
        package var collections: [String: JWTKeyCollection]
    }

    /// What a lookup found.
    package enum Lookup: Sendable {
        case found(Key)
        /// The set (fetched now or recently) has no key with that `kid`.
        case unknownKey
        /// No key could ever be obtained; the sentence says why (no content of the set).
        case unavailable(String)
    }

    /// Fetches the set's bytes and its `max-age`; the store calls it for every refresh.
    package typealias Fetch = @Sendable () async throws -> (json: [UInt8], maxAge: Duration?)

    private let source: JWKSSource
    private let fetch: Fetch
    private let timing: Timing
    private let now: @Sendable () -> Date
    private let logger: Logger

    private var keys: [String: Key]?
    private var expiresAt: Date = .distantPast
    private var lastAttempt: Date?
    private var inFlight: Task<Void, Never>?
    /// How many fetches were made (tests check that refreshes are bounded and shared).
    package private(set) var fetchCount = 0

    package init(
        source: JWKSSource, httpClient: HTTPClient = .shared, timing: Timing = Timing(),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.init(source: source, fetch: Self.fetcher(for: source, httpClient: httpClient, timing: timing),
            timing: timing, now: now, logger: logger)
    }

    package init(
        source: JWKSSource, fetch: @escaping Fetch, timing: Timing = Timing(),
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.source = source
        self.fetch = fetch
        self.timing = timing
        self.now = now
        self.logger = logger
    }

    /// The key for a token's `kid` (`nil`: the set's only key, when it has exactly one).
    package func key(for kid: String?) async -> Lookup {
        if keys == nil || now() >= expiresAt {
            await refreshIfAllowed()
        }
        guard let current = keys else {
            // The answer goes to a caller not yet authenticated: the source (a file path, a
            // URL) and the reason are the service's log's, not the caller's.
            return .unavailable("the issuer's keys could not be obtained; the service's log says why")
        }
        if let found = Self.pick(kid, in: current) { return .found(found) }
        guard kid != nil else { return .unknownKey }
        await refreshIfAllowed()
        if let refreshed = keys, let found = Self.pick(kid, in: refreshed) { return .found(found) }
        return .unknownKey
    }

    private static func pick(_ kid: String?, in keys: [String: Key]) -> Key? {
        if let kid { return keys[kid] }
        return keys.count == 1 ? keys.first?.value : nil
    }

    /// Joins the fetch under way, or starts one unless the last began less than
    /// ``Timing/refreshInterval`` ago.
    private func refreshIfAllowed() async {
        if let inFlight {
            await inFlight.value
            return
        }
        if let lastAttempt, now().timeIntervalSince(lastAttempt) < timing.refreshInterval.seconds { return }
        let task = Task { await self.performRefresh() }
        inFlight = task
        await task.value
        inFlight = nil
    }

    private func performRefresh() async {
        lastAttempt = now()
        fetchCount += 1
        do {
            let (json, maxAge) = try await fetch()
            let parsed = try await Self.parse(json)
            guard !parsed.isEmpty else {
                throw JWKSProblem("the key set has no RSA or EC key with a `kid` that secretsmith can use")
            }
            keys = parsed
            let age = maxAge.map { min(max($0, timing.maxAgeBounds.lowerBound), timing.maxAgeBounds.upperBound) }
                ?? timing.defaultMaxAge
            expiresAt = now().addingTimeInterval(age.seconds)
        } catch {
            let reason =
                (error as? JWKSProblem)?.reason
                ?? (error as? HTTPClientError).map { "\($0)" } ?? "error \(shortDescription(of: error))"
            logger.warning(
                "The JWKS could not be refreshed; \(keys == nil ? "no key is known yet" : "the previous keys stay in use").",
                metadata: ["jwks": "\(source)", "error": "\(reason)"])
        }
    }

    /// Parses a JWKS document into usable keys; keys without a `kid`, of another type than
    /// RSA or EC, or that the JWT library refuses are skipped.
    package static func parse(_ json: [UInt8]) async throws -> [String: Key] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let list = object["keys"] as? [[String: Any]]
        else { throw JWKSProblem("the document is not a JSON Web Key Set (an object with a `keys` array)") }
        var keys: [String: Key] = [:]
        for entry in list {
            guard let kid = entry["kid"] as? String, !kid.isEmpty, let kty = entry["kty"] as? String,
                kty == "RSA" || kty == "EC",
                (entry["use"] as? String).map({ $0 == "sig" }) ?? true,
                let data = try? JSONSerialization.data(withJSONObject: entry),
                let jwk = try? JSONDecoder().decode(JWK.self, from: data)
            else { continue }
            let declared = entry["alg"] as? String
            let algorithms: [String]
            if let declared {
                algorithms = [declared]
            } else if kty == "RSA" {
                algorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
            } else {
                switch entry["crv"] as? String {
                case "P-256": algorithms = ["ES256"]
                case "P-384": algorithms = ["ES384"]
                case "P-521": algorithms = ["ES512"]
                default: algorithms = []
                }
            }
            var collections: [String: JWTKeyCollection] = [:]
            for algorithm in algorithms {
                guard let pinned = JWK.Algorithm(rawValue: algorithm) else { continue }
                var copy = jwk
                copy.algorithm = pinned
                let collection = JWTKeyCollection()
                do {
                    try await collection.add(jwk: copy, isDefault: true)
                } catch {
                    continue
                }
                collections[algorithm] = collection
            }
            guard !collections.isEmpty else { continue }
            keys[kid] = Key(keyType: kty, algorithm: declared, collections: collections)
        }
        return keys
    }

    private static func fetcher(for source: JWKSSource, httpClient: HTTPClient, timing: Timing) -> Fetch {
        switch source {
        case .file(let path):
            return {
                // The same limit as a JWKS fetched over HTTP; a FIFO or a device is refused
                // before it is read.
                switch FileSystemCalls.readRegularFile(path, limit: 1 << 20) {
                case .success(let bytes): return (bytes, nil)
                case .failure(let failure): throw JWKSProblem("the file cannot be used: \(failure.reason(limit: 1 << 20))")
                }
            }
        case .url(let url):
            return {
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Accept", value: "application/json")
                let response = try await httpClient.execute(request, timeout: .nanoseconds(Int64(timing.fetchTimeout.seconds * 1e9)))
                guard response.status.code == 200 else {
                    throw JWKSProblem("HTTP status \(response.status.code)")
                }
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Array(buffer: body), maxAge(cacheControl: response.headers["Cache-Control"]))
            }
        }
    }

    /// The `max-age` directive of `Cache-Control` values (RFC 9111 §5.2.2.1); `nil` when
    /// absent, or `0` for `no-store`/`no-cache`.
    package static func maxAge(cacheControl values: [String]) -> Duration? {
        for value in values {
            for directive in value.split(separator: ",") {
                let parts = directive.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces).lowercased()
                }
                if parts.first == "no-store" || parts.first == "no-cache" { return .zero }
                if parts.first == "max-age", parts.count == 2,
                    let seconds = Int64(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))), seconds >= 0
                {
                    return .seconds(seconds)
                }
            }
        }
        return nil
    }
}

/// Why a JWKS could not be used: a sentence with no content of the set.
struct JWKSProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
