/// Everything one reference's accesses need but the value, settled once: the resolved
/// settings, the cache key (with its hash), the client, the circuit breaker, the bound on
/// calls in flight and the metric handles. The manager keeps the routes of the references
/// it has seen, so that an access by the same text (or parsed reference, in the same active
/// environment) skips parsing and resolution.
package final class AccessRoute: Sendable {
    /// The manager that made it (its client, breaker and limiter belong to that manager).
    let owner: ObjectIdentifier
    /// The reference as parsed.
    package let parsedReference: SecretReference
    /// The reference as written, for the access log and span.
    package let reference: String
    /// The resolved settings.
    package let secret: SecretConfig
    let endpoint: SecretManagerEndpoint
    let key: SecretCacheKey
    /// `nil` when the credentials could not be set up when the route was made; each access
    /// then tries again (and fails as it would have).
    let client: SecretManagerClient?
    let breaker: CircuitBreaker
    let limiter: ConcurrencyLimiter
    let metricSlot: SecretsmithMetrics.AccessHandleSlot

    /// The JSON pointer applied to the payload, if any.
    package var pointer: JSONPointer? { parsedReference.pointer }

    init(
        owner: ObjectIdentifier, reference parsed: SecretReference, referenceText: String, secret: SecretConfig,
        endpoint: SecretManagerEndpoint, key: SecretCacheKey, client: SecretManagerClient?, breaker: CircuitBreaker,
        limiter: ConcurrencyLimiter, metricSlot: SecretsmithMetrics.AccessHandleSlot
    ) {
        self.owner = owner
        self.parsedReference = parsed
        self.reference = referenceText
        self.secret = secret
        self.endpoint = endpoint
        self.key = key
        self.client = client
        self.breaker = breaker
        self.limiter = limiter
        self.metricSlot = metricSlot
    }
}

/// A reference resolved once by a ``MultiEnvironmentSecretManager`` (``MultiEnvironmentSecretManager/resolve(_:)-(String)``):
/// keep it and pass it to ``MultiEnvironmentSecretManager/accessSecretVersion(_:)-(ResolvedSecretReference)``
/// to read the same secret many times without parsing and resolving the reference, or
/// looking up the endpoint, breaker and metric handles, on each access.
///
/// ```swift
/// let password = try manager.resolve("prod/billing/db-password")
/// for _ in requests {
///     let value = try await manager.accessSecretVersion(password)   // a cache hit: under 1 µs
/// }
/// ```
///
/// It holds no value. It stays valid for the manager's lifetime (the configuration does
/// not change under a manager); the cache, TTL, breaker and retries apply to each access
/// as for a reference given as text.
public struct ResolvedSecretReference: Sendable, CustomStringConvertible {
    let route: AccessRoute

    init(route: AccessRoute) {
        self.route = route
    }

    /// The reference as parsed.
    public var reference: SecretReference { route.parsedReference }

    /// Its effective settings (resource name, endpoint, credentials, cache, retry, breaker).
    public var secret: SecretConfig { route.secret }

    /// The reference as written.
    public var description: String { route.reference }
}
