/// Request counters of a running emulator, for tests that assert how many upstream
/// calls a client made.
///
/// In-process: `await emulator.stats()`. Over HTTP: `GET /_emulator/stats` answers this
/// struct as JSON (keys sorted), `POST /_emulator/reset` zeroes it. Admin requests are
/// not counted.
///
/// A request is counted under its method and its resource name *as requested* (without
/// `/v1/` and the `:verb`), e.g. `projects/acme-billing-dev/secrets/db-password/versions/latest`,
/// before any fault applies: a request answered by an injected 503 still counts.
public struct EmulatorStats: Sendable, Equatable, Codable {
    /// API requests (known method and path shape), faulted or not.
    public var requests: Int = 0
    /// Requests per method name (``EmulatorMethod`` raw values: `access`, `getVersion`, …).
    public var methods: [String: Int] = [:]
    /// Requests per requested resource name, then per method name.
    public var resources: [String: [String: Int]] = [:]
    /// Answers per HTTP status code (as a string, e.g. `"200"`, `"503"`), including
    /// injected errors; dropped connections have no answer and are not counted here.
    public var statusCodes: [String: Int] = [:]
    /// How many times each fault kind was applied (`latency`, `error`,
    /// `resourceExhausted`, `drop`, `stall`, `wrongChecksum`).
    public var faults: [String: Int] = [:]
    /// Requests that at least one fault rule applied to.
    public var faultedRequests: Int = 0
    /// Requests answered with the HTML 404 page (no API route).
    public var unknownPaths: Int = 0
    /// Access tokens issued, per grant: `jwt-bearer` and `refresh_token` (`POST /token`),
    /// `sts` (token exchanges at `POST /v1/token`), `metadata` (the metadata server),
    /// `generateAccessToken` (IAM Credentials). Every request of these endpoints also
    /// counts under ``methods``.
    public var tokens: [String: Int] = [:]
    /// Token requests refused (an invalid assertion, an unknown refresh token, a denied
    /// impersonation…), per grant as in ``tokens``.
    public var tokenRefusals: [String: Int] = [:]
    /// API and IAM Credentials requests authenticated by a service account's self-signed
    /// JWT instead of an access token (no token request was made for them).
    public var selfSignedJWTs: Int = 0
    /// Requests whose bearer token was a JWT the emulator refused (401 UNAUTHENTICATED):
    /// a bad signature, an unknown account, expired, a wrong `aud` or `scope`.
    public var selfSignedJWTRefusals: Int = 0
    /// The `traceparent` header of each API request that had one (W3C Trace Context), in
    /// arrival order, the last ``maxTraceparents`` kept: tests check that a client
    /// propagates its trace.
    public var traceparents: [String] = []
    /// How many `traceparent` values are kept.
    public static let maxTraceparents = 1000
    /// Event notification messages published to Pub/Sub, per `eventType` (one message per
    /// topic of the secret).
    public var eventsPublished: [String: Int] = [:]
    /// Event notification messages that could not be published (the topic does not exist,
    /// the Pub/Sub emulator is down…), per `eventType`. They never fail the Secret Manager
    /// request.
    public var eventsFailed: [String: Int] = [:]
    /// TCP connections accepted (admin requests' included). Over HTTPS with HTTP/2 one
    /// connection carries many concurrent requests; plain HTTP/1.1 needs one per request
    /// in flight.
    public var connections: Int = 0
    /// API requests per HTTP version they arrived with: `"1.1"` or `"2"`.
    public var httpVersions: [String: Int] = [:]

    public init() {}

    /// How many requests of `method` there were, for one requested resource name or all.
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - resource: A resource name as requested (e.g. `projects/p/secrets/s/versions/1`),
    ///     or `nil` for every resource.
    public func count(_ method: EmulatorMethod, resource: String? = nil) -> Int {
        guard let resource else { return methods[method.rawValue] ?? 0 }
        return resources[resource]?[method.rawValue] ?? 0
    }

    /// How many tokens were issued for `grant` (`jwt-bearer`, `refresh_token`, `sts`,
    /// `metadata`, `generateAccessToken`), or for every grant when `nil`.
    public func tokensIssued(_ grant: String? = nil) -> Int {
        guard let grant else { return tokens.values.reduce(0, +) }
        return tokens[grant] ?? 0
    }

    /// How many answers had HTTP status `code`.
    public func count(statusCode code: Int) -> Int {
        statusCodes[String(code)] ?? 0
    }

    /// Counts one API request.
    mutating func recordRequest(_ method: EmulatorMethod, resource: String) {
        requests += 1
        methods[method.rawValue, default: 0] += 1
        resources[resource, default: [:]][method.rawValue, default: 0] += 1
    }

    /// Keeps one request's `traceparent` header.
    mutating func recordTraceparent(_ value: String?) {
        guard let value else { return }
        if traceparents.count >= Self.maxTraceparents { traceparents.removeFirst() }
        traceparents.append(value)
    }

    /// Counts the faults applied to one request.
    mutating func recordFaults(_ kinds: [String]) {
        guard !kinds.isEmpty else { return }
        faultedRequests += 1
        for kind in kinds {
            faults[kind, default: 0] += 1
        }
    }

    /// Counts one token request's outcome.
    mutating func recordToken(_ grant: String, issued: Bool) {
        if issued {
            tokens[grant, default: 0] += 1
        } else {
            tokenRefusals[grant, default: 0] += 1
        }
    }

    /// Counts one request that carried a self-signed JWT.
    mutating func recordSelfSignedJWT(accepted: Bool) {
        if accepted {
            selfSignedJWTs += 1
        } else {
            selfSignedJWTRefusals += 1
        }
    }

    /// Counts one event notification message.
    mutating func recordPublication(_ type: String, published: Bool) {
        if published {
            eventsPublished[type, default: 0] += 1
        } else {
            eventsFailed[type, default: 0] += 1
        }
    }

    /// Counts one answer.
    mutating func recordStatus(_ code: Int) {
        statusCodes[String(code), default: 0] += 1
    }
}
