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
    /// Secret Manager calls in flight per environment (default ``defaultConcurrency``).
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
    /// `tls.ca_file`: a PEM file of CA certificates trusted in addition to the system's
    /// roots, if set (`defaults` and environments only; absolute).
    public var tlsCAFile: String? = nil

    /// The built-in `concurrency:` over HTTPS, 200: two HTTP/2 connections' worth of
    /// streams. One connection to Google's front ends carries about 100 concurrent streams
    /// (their `SETTINGS_MAX_CONCURRENT_STREAMS`; RFC 9113, section 6.5.2); calls beyond go
    /// over a second connection (``HTTP2ConnectionSpread``, one per event loop of the
    /// client, so on one core they wait for a stream instead), so a cold render of up to
    /// 200 secrets takes one round trip and two TLS handshakes, and of N secrets
    /// ceil(N / 200) round trips. Measured with the bundled emulator at 20 ms a request, 2
    /// cores, release build: 200 secrets over TLS in 85 ms at 200, 106 ms at 100 (two
    /// round trips).
    /// Secret Manager's quota of 90,000 access requests per minute per project (1,500/s) is
    /// a rate over a minute: a render of N secrets sends N requests once whatever the
    /// concurrency, far below it unless N is in the tens of thousands, and a process that
    /// keeps 200 calls in flight stays under 1,500/s at a round trip of at least 133 ms. A
    /// 429 above it is retried with backoff like any RESOURCE_EXHAUSTED.
    public static let defaultConcurrency = 200

    /// The built-in `concurrency:` over plain HTTP (the emulator through
    /// `SECRET_MANAGER_EMULATOR_HOST`, an `http://` endpoint), 100: there each call in
    /// flight holds a TCP connection of its own, and 200 connections instead of 100 cost
    /// about 15 ms more CPU for a render of 200 secrets with no gain in time (measured with
    /// the bundled emulator at 20 ms a request, 2 cores).
    public static let defaultPlainHTTPConcurrency = 100

    /// The calls in flight allowed toward `endpoint`: ``concurrency`` when a layer sets
    /// it, else the built-in default of the transport (``defaultConcurrency`` over HTTPS,
    /// ``defaultPlainHTTPConcurrency`` over plain HTTP).
    public func concurrency(toward endpoint: SecretManagerEndpoint) -> Int {
        origins["concurrency"] == .builtIn && endpoint.isPlainHTTP ? Self.defaultPlainHTTPConcurrency : concurrency
    }
}
