/// The effective settings of one resolved secret version: where it lives and how to
/// fetch it. Produced by `Configuration.resolve(_:activeEnvironment:)`.
public struct SecretConfig: Sendable, Hashable {
    /// The environment the reference resolved in.
    public var environment: String
    /// The project alias from the reference.
    public var projectAlias: String
    /// The secret name from the reference (a key under `secrets:`, or an undeclared id).
    public var secretName: String
    /// The Google Cloud project id.
    public var projectID: String
    /// The region for regional secrets, or `nil` for global ones.
    public var location: String?
    /// The Secret Manager secret id.
    public var secretID: String
    /// The version: a positive number, `latest`, or an alias.
    public var version: String
    /// The Secret Manager base URL (no trailing slash). When a `location` is set and the
    /// endpoint is Google's global one, this is the regional endpoint
    /// `https://secretmanager.LOCATION.rep.googleapis.com`.
    public var endpoint: String
    /// How to get an access token.
    public var credentials: CredentialsConfiguration
    /// Per request.
    public var timeout: Duration
    /// Fetches in flight per run.
    public var concurrency: Int
    /// Cache TTL, size and staleness.
    public var cache: CachePolicy
    /// Retry attempts and backoff.
    public var retry: RetryPolicy
    /// Breaker threshold and recovery time.
    public var circuitBreaker: CircuitBreakerPolicy
    /// The default mode of output files in this environment.
    public var fileMode: FileMode
    /// The project billed for quota (`x-goog-user-project`), if any.
    public var quotaProject: String?
    /// The layer each effective setting came from, keyed by its dotted name: `credentials`,
    /// `endpoint`, `timeout`, `concurrency`, `cache.ttl`, `cache.max_entries`,
    /// `cache.max_stale`, `retry.max_attempts`, `retry.initial_backoff`, `retry.max_backoff`,
    /// `retry.multiplier`, `circuit_breaker.failure_rate_threshold` (and its other keys),
    /// `circuit_breaker.recovery_timeout`, `file_mode`, `version`, `location`,
    /// `quota_project`, `project_id`, `secret_id`.
    public var origins: [String: SettingLayer]

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
        self.environment = environment
        self.projectAlias = projectAlias
        self.secretName = secretName
        self.projectID = projectID
        self.location = location
        self.secretID = secretID ?? secretName
        self.version = version
        self.endpoint = endpoint
        self.credentials = credentials
        self.timeout = timeout
        self.concurrency = concurrency
        self.cache = cache
        self.retry = retry
        self.circuitBreaker = circuitBreaker
        self.fileMode = fileMode
        self.quotaProject = quotaProject
        self.origins = origins
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
