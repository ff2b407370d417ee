/// Every setting resolved through the layers down to some point (built-in defaults, then
/// `defaults`, then an environment, a project, a secret), with the layer each came from.
///
/// The one resolved-settings type: `Configuration.defaults` is this for the global layer
/// alone; `Configuration.settings(forEnvironment:)` for one environment (its `concurrency`
/// bounds that environment's calls); `SecretConfig/settings` for one secret version, which
/// the manager, `explain` and `check` read.
public struct EffectiveSettings: Sendable, Hashable {
    /// How to get an access token (default `adc`).
    public var credentials: CredentialsConfiguration
    /// The Secret Manager base URL (no trailing slash; default the global endpoint).
    public var endpoint: String
    /// Per request (default 10 s).
    public var timeout: Duration
    /// Secret Manager calls in flight per environment (default 16).
    public var concurrency: Int
    /// Cache TTL, size and staleness (defaults 5 m, 1000, 0 s).
    public var cache: CachePolicy
    /// Retry attempts and backoff (defaults 5, 250 ms, 10 s, ×2).
    public var retry: RetryPolicy
    /// Breaker threshold and recovery (defaults 5, 30 s).
    public var circuitBreaker: CircuitBreakerPolicy
    /// Default mode of output files (default 0600).
    public var fileMode: FileMode
    /// Default secret version (default `latest`); for one secret version, the version
    /// resolved, the reference's `@VERSION` first.
    public var version: String
    /// Region of regional secrets, if any.
    public var location: String?
    /// The project billed for quota, if any.
    public var quotaProject: String?
    /// The layer each setting came from, keyed by dotted name (`cache.ttl`).
    public var origins: [String: SettingLayer]
    /// For settings whose layer took the value from an environment override (see
    /// ``Configuration/applyingEnvironmentOverrides(_:)``): the variable's name, keyed like
    /// ``origins``. `explain` shows it in place of the layer.
    public var environmentVariables: [String: String] = [:]
    /// The longest a whole run may take, if limited (`deadline`).
    public var deadline: Duration? = nil
    /// `watch`: how `secretsmith watch` notices changes and reacts; origins under
    /// `watch.` (`watch.poll_interval`, `watch.child.signal`).
    public var watch = WatchSettings()
}
