/// The settings one layer of the configuration sets (`defaults`, an environment, a
/// project or a secret); `nil` where the layer says nothing. Resolution takes each leaf
/// from the nearest layer that sets it.
///
/// Keys per layer (anything else is an "unknown key" error):
/// - all layers: `version`, `timeout`, `cache`, `retry`
/// - `defaults`, environments and projects also: `credentials`, `endpoint`, `location`,
///   `quota_project`, `circuit_breaker`
/// - `defaults` and environments also: `concurrency`, `deadline`, `file_mode`,
///   `allow_world_readable`, `watch`, `tls`
public struct LayerSettings: Sendable, Hashable {
    /// `credentials` (taken whole, not merged field by field).
    public var credentials: CredentialsConfiguration?
    /// `endpoint`: the Secret Manager base URL, without trailing slash.
    public var endpoint: String?
    /// `tls.ca_file`: a PEM file of CA certificates trusted in addition to the system's
    /// roots (an absolute path, resolved against the configuration file's directory).
    public var tlsCAFile: String?
    /// `timeout`: per request.
    public var timeout: Duration?
    /// `deadline`: the longest a whole run (render, get) may take; none by default.
    public var deadline: Duration?
    /// `concurrency`: fetches in flight per run.
    public var concurrency: Int?
    /// `cache.ttl`.
    public var cacheTTL: Duration?
    /// `cache.max_entries`.
    public var cacheMaxEntries: Int?
    /// `cache.max_stale`.
    public var cacheMaxStale: Duration?
    /// `retry.max_attempts`.
    public var retryMaxAttempts: Int?
    /// `retry.initial_backoff`.
    public var retryInitialBackoff: Duration?
    /// `retry.max_backoff`.
    public var retryMaxBackoff: Duration?
    /// `retry.multiplier`.
    public var retryMultiplier: Double?
    /// `circuit_breaker.failure_rate_threshold`, in percent (also set by the
    /// `failure_threshold` alias).
    public var breakerFailureRateThreshold: Double?
    /// `circuit_breaker.minimum_calls` (also set by the `failure_threshold` alias).
    public var breakerMinimumCalls: Int?
    /// `circuit_breaker.window`.
    public var breakerWindow: Duration?
    /// `circuit_breaker.half_open_calls`.
    public var breakerHalfOpenCalls: Int?
    /// `circuit_breaker.recovery_timeout`.
    public var breakerRecoveryTimeout: Duration?
    /// `file_mode`: the default mode of output files.
    public var fileMode: FileMode?
    /// `allow_world_readable`: permits a `fileMode` that grants access to others
    /// (`defaults` and environments only).
    public var allowWorldReadable: Bool?
    /// `version`: the default secret version (a number, `latest` or an alias).
    public var version: String?
    /// `location`: the region of regional secrets (`europe-west1`).
    public var location: String?
    /// `quota_project`: the project billed for quota (`x-goog-user-project`).
    public var quotaProject: String?
    /// `watch`: how `secretsmith watch` notices changes and reacts (`defaults` and
    /// environments only).
    public var watch = WatchLayerSettings()
    /// The environment variables that set settings of this layer over the file's values
    /// (see ``Configuration/applyingEnvironmentOverrides(_:)``), keyed by the setting's dotted
    /// name as in ``EffectiveSettings/origins`` (`cache.ttl`); empty for a layer as written.
    public internal(set) var environmentVariables: [String: String] = [:]

    /// Settings that set nothing (every setting then comes from a farther layer or its
    /// built-in default); set the properties to build a layer in code.
    public init() {}
}
