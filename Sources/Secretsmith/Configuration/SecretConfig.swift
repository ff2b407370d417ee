/// The effective settings of one resolved secret version: where it lives and how to
/// fetch it. Produced by `Configuration.resolve(_:activeEnvironment:)`.
///
/// The settings themselves are one ``EffectiveSettings`` (``settings``), the same type
/// `Configuration.defaults` and `Configuration.settings(forEnvironment:)` give, resolved
/// down to the secret's layer; the properties below read and write it.
public struct SecretConfig: Sendable, Hashable {
    /// The environment the reference resolved in.
    public var environment: String
    /// The project alias from the reference.
    public var projectAlias: String
    /// The secret name from the reference (a key under `secrets:`, or an undeclared id).
    public var secretName: String
    /// The Google Cloud project id.
    public var projectID: String
    /// The Secret Manager secret id.
    public var secretID: String
    /// Every setting resolved through the layers down to the secret (and the reference's
    /// `@VERSION`), with the layer each came from.
    public var settings: EffectiveSettings

    /// The region for regional secrets, or `nil` for global ones.
    public var location: String? {
        get { settings.location }
        set { settings.location = newValue }
    }
    /// The version: a positive number, `latest`, or an alias.
    public var version: String {
        get { settings.version }
        set { settings.version = newValue }
    }
    /// The Secret Manager base URL (no trailing slash). When a `location` is set and the
    /// endpoint is Google's global one, this is the regional endpoint
    /// `https://secretmanager.LOCATION.rep.googleapis.com`.
    public var endpoint: String {
        get { settings.endpoint }
        set { settings.endpoint = newValue }
    }
    /// How to get an access token.
    public var credentials: CredentialsConfiguration {
        get { settings.credentials }
        set { settings.credentials = newValue }
    }
    /// Per request.
    public var timeout: Duration {
        get { settings.timeout }
        set { settings.timeout = newValue }
    }
    /// Secret Manager calls in flight in the secret's environment.
    public var concurrency: Int {
        get { settings.concurrency }
        set { settings.concurrency = newValue }
    }
    /// Cache TTL, size and staleness.
    public var cache: CachePolicy {
        get { settings.cache }
        set { settings.cache = newValue }
    }
    /// Retry attempts and backoff.
    public var retry: RetryPolicy {
        get { settings.retry }
        set { settings.retry = newValue }
    }
    /// Breaker threshold and recovery time.
    public var circuitBreaker: CircuitBreakerPolicy {
        get { settings.circuitBreaker }
        set { settings.circuitBreaker = newValue }
    }
    /// The default mode of output files in this environment.
    public var fileMode: FileMode {
        get { settings.fileMode }
        set { settings.fileMode = newValue }
    }
    /// The project billed for quota (`x-goog-user-project`), if any.
    public var quotaProject: String? {
        get { settings.quotaProject }
        set { settings.quotaProject = newValue }
    }
    /// The layer each effective setting came from, keyed by its dotted name: `credentials`,
    /// `endpoint`, `timeout`, `concurrency`, `deadline`, `cache.ttl`, `cache.max_entries`,
    /// `cache.max_stale`, `retry.max_attempts`, `retry.initial_backoff`, `retry.max_backoff`,
    /// `retry.multiplier`, `circuit_breaker.failure_rate_threshold` (and its other keys),
    /// `circuit_breaker.recovery_timeout`, `file_mode`, `version`, `location`,
    /// `quota_project`, `project_id`, `secret_id`.
    public var origins: [String: SettingLayer] {
        get { settings.origins }
        set { settings.origins = newValue }
    }

    /// A resolved secret version with its settings.
    init(
        environment: String, projectAlias: String, secretName: String, projectID: String, secretID: String,
        settings: EffectiveSettings
    ) {
        self.environment = environment
        self.projectAlias = projectAlias
        self.secretName = secretName
        self.projectID = projectID
        self.secretID = secretID
        self.settings = settings
    }

    /// Effective settings for one secret version; every setting not given takes its
    /// built-in default (for tests and library users that build one by hand).
    public init(
        environment: String,
        projectAlias: String,
        secretName: String,
        projectID: String,
        location: String? = nil,
        secretID: String? = nil,
        version: String = "latest",
        endpoint: String = SecretConfig.globalEndpoint,
        credentials: CredentialsConfiguration = .applicationDefault,
        timeout: Duration = .seconds(10),
        concurrency: Int = 16,
        cache: CachePolicy = CachePolicy(),
        retry: RetryPolicy = RetryPolicy(),
        circuitBreaker: CircuitBreakerPolicy = CircuitBreakerPolicy(),
        fileMode: FileMode = .ownerReadWrite,
        quotaProject: String? = nil,
        origins: [String: SettingLayer] = [:]
    ) {
        self.init(
            environment: environment, projectAlias: projectAlias, secretName: secretName, projectID: projectID,
            secretID: secretID ?? secretName,
            settings: EffectiveSettings(
                credentials: credentials, endpoint: endpoint, timeout: timeout, concurrency: concurrency, cache: cache,
                retry: retry, circuitBreaker: circuitBreaker, fileMode: fileMode, version: version, location: location,
                quotaProject: quotaProject, origins: origins))
    }

    /// Google's global Secret Manager endpoint.
    public static let globalEndpoint = "https://secretmanager.googleapis.com"

    /// The version's resource name:
    /// `projects/<project_id>[/locations/<location>]/secrets/<secret_id>/versions/<version>`.
    public var versionName: String {
        "\(secretResourceName)/versions/\(version)"
    }

    /// The secret's resource name: `projects/<project_id>[/locations/<location>]/secrets/<secret_id>`.
    public var secretResourceName: String {
        if let location {
            return "projects/\(projectID)/locations/\(location)/secrets/\(secretID)"
        }
        return "projects/\(projectID)/secrets/\(secretID)"
    }
}
