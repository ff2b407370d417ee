/// The effective settings of one resolved secret version: where it lives and how to
/// fetch it. Produced by `Configuration.resolve(_:activeEnvironment:)`.
///
/// The settings themselves are one ``EffectiveSettings`` (``settings``), the same type
/// `Configuration.defaults` and `Configuration.settings(forEnvironment:)` give, resolved
/// down to the secret's layer; every ``EffectiveSettings`` property reads and writes through
/// the secret (`config.timeout`, `config.location`, `config.origins`, ...).
@dynamicMemberLookup
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

    /// Reads and writes one setting of ``settings`` by its name, so `config.timeout`,
    /// `config.retry`, `config.origins` and the other ``EffectiveSettings`` properties
    /// read as the secret's own.
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<EffectiveSettings, Value>) -> Value {
        get { settings[keyPath: keyPath] }
        set { settings[keyPath: keyPath] = newValue }
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
        concurrency: Int = EffectiveSettings.defaultConcurrency,
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
        "\(secretResourceName)/versions/\(settings.version)"
    }

    /// The secret's resource name: `projects/<project_id>[/locations/<location>]/secrets/<secret_id>`.
    public var secretResourceName: String {
        if let location = settings.location {
            return "projects/\(projectID)/locations/\(location)/secrets/\(secretID)"
        }
        return "projects/\(projectID)/secrets/\(secretID)"
    }
}
