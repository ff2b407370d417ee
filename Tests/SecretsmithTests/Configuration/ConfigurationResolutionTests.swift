import Testing
@testable import Secretsmith

@Suite("Configuration resolution")
struct ConfigurationResolutionTests {
    static let layered = """
    version: 1
    defaults:
      timeout: 7s
      cache: { ttl: 1m, max_entries: 50 }
      retry: { max_attempts: 3, multiplier: 1.5 }
      quota_project: billing-quota
    environments:
      dev:
        credentials: { type: metadata }
        concurrency: 4
        cache: { max_stale: 30s }
        file_mode: "0640"
        projects:
          billing:
            project_id: acme-billing-dev
            cache: { ttl: 2m }
            circuit_breaker: { failure_threshold: 9 }
            version: "2"
            secrets:
              db: { timeout: 3s, version: "5" }
              api: { secret_id: api_key }
          open:
            project_id: acme-open
            allow_undeclared: true
      prod:
        projects:
          billing:
            project_id: acme-billing-prod
            location: europe-west1
            secrets:
              db: {}
      shared:
        strict_isolation: false
        projects:
          common: { project_id: acme-common, secrets: { token: {} } }
    """

    static func configuration() throws -> Configuration {
        try ConfigurationTesting.parse(layered)
    }

    static func resolve(_ text: String, active: String?) throws -> SecretConfig {
        try configuration().resolve(SecretReference.parse(text), activeEnvironment: active)
    }

    static func resolveError(_ text: String, active: String?, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigurationError? {
        let configuration = try configuration()
        let reference = try SecretReference.parse(text)
        do {
            _ = try configuration.resolve(reference, activeEnvironment: active)
            Issue.record("expected a resolution error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("nearest layer wins per leaf setting, and each origin is recorded")
    func layering() throws {
        let db = try Self.resolve("billing/db", active: "dev")
        #expect(db.environment == "dev")
        #expect(db.projectAlias == "billing")
        #expect(db.secretName == "db")
        #expect(db.projectID == "acme-billing-dev")
        #expect(db.secretID == "db")
        #expect(db.timeout == .seconds(3))
        #expect(db.origins["timeout"] == .secret)
        #expect(db.cache.ttl == .seconds(120))
        #expect(db.origins["cache.ttl"] == .project)
        #expect(db.cache.maxEntries == 50)
        #expect(db.origins["cache.max_entries"] == .global)
        #expect(db.cache.maxStale == .seconds(30))
        #expect(db.origins["cache.max_stale"] == .environment)
        #expect(db.retry.maxAttempts == 3)
        #expect(db.origins["retry.max_attempts"] == .global)
        #expect(db.retry.multiplier == 1.5)
        #expect(db.retry.initialBackoff == .milliseconds(250))
        #expect(db.origins["retry.initial_backoff"] == .builtIn)
        #expect(db.retry.maxBackoff == .seconds(10))
        // failure_threshold: 9 is the alias of 100% over at least 9 accesses.
        #expect(db.circuitBreaker.failureRateThreshold == 100)
        #expect(db.circuitBreaker.minimumCalls == 9)
        #expect(db.origins["circuit_breaker.minimum_calls"] == .project)
        #expect(db.origins["circuit_breaker.failure_rate_threshold"] == .project)
        #expect(db.circuitBreaker.window == .seconds(60))
        #expect(db.origins["circuit_breaker.window"] == .builtIn)
        #expect(db.circuitBreaker.recoveryTimeout == .seconds(30))
        #expect(db.origins["circuit_breaker.recovery_timeout"] == .builtIn)
        #expect(db.credentials == .metadata)
        #expect(db.origins["credentials"] == .environment)
        #expect(db.concurrency == 4)
        #expect(db.fileMode.rawValue == 0o640)
        #expect(db.origins["file_mode"] == .environment)
        #expect(db.quotaProject == "billing-quota")
        #expect(db.origins["quota_project"] == .global)
        #expect(db.endpoint == "https://secretmanager.googleapis.com")
        #expect(db.origins["endpoint"] == .builtIn)
        #expect(db.version == "5")
        #expect(db.origins["version"] == .secret)
        #expect(db.location == nil)
        #expect(db.versionName == "projects/acme-billing-dev/secrets/db/versions/5")

        let api = try Self.resolve("billing/api", active: "dev")
        #expect(api.secretID == "api_key")
        #expect(api.origins["secret_id"] == .secret)
        #expect(api.version == "2")
        #expect(api.origins["version"] == .project)
        #expect(api.timeout == .seconds(7))
        #expect(api.origins["timeout"] == .global)
        #expect(api.versionName == "projects/acme-billing-dev/secrets/api_key/versions/2")

        let pinned = try Self.resolve("dev/billing/api@latest#/x", active: nil)
        #expect(pinned.version == "latest")
        #expect(pinned.origins["version"] == .reference)
    }

    @Test("built-in defaults when no layer sets anything")
    func builtInDefaults() throws {
        let configuration = try ConfigurationTesting.parse(
            "version: 1\nenvironments:\n  e:\n    projects:\n      p: { project_id: x-project, secrets: { s: } }\n"
        )
        let config = try configuration.resolve(SecretReference.parse("p/s"), activeEnvironment: "e")
        #expect(config == SecretConfig(environment: "e", projectAlias: "p", secretName: "s", projectID: "x-project", origins: config.origins))
        #expect(config.timeout == .seconds(10))
        #expect(config.concurrency == 200)
        // The built-in default depends on the transport: 100 over plain HTTP (the emulator).
        let plain = SecretManagerEndpoint(baseURL: "http://127.0.0.1:8085", requiresCredentials: false)
        let secure = SecretManagerEndpoint(baseURL: SecretManagerEndpoint.globalDefault, requiresCredentials: true)
        #expect(config.settings.concurrency(toward: plain) == 100)
        #expect(config.settings.concurrency(toward: secure) == 200)
        #expect(config.cache == CachePolicy(ttl: .seconds(300), maxEntries: 1000, maxStale: .zero))
        #expect(config.retry == RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(250), maxBackoff: .seconds(10), multiplier: 2))
        #expect(
            config.circuitBreaker
                == CircuitBreakerPolicy(
                    failureRateThreshold: 50, minimumCalls: 20, window: .seconds(60), recoveryTimeout: .seconds(30),
                    halfOpenCalls: 3))
        #expect(config.fileMode.description == "0600")
        #expect(config.credentials == .applicationDefault)
        #expect(config.version == "latest")
        #expect(config.origins.values.allSatisfy { $0 == .builtIn || $0 == .project })
        #expect(config.origins.count == 34)  // every setting, `deadline`, `tls.ca_file` and the ten `watch.` keys included
    }

    @Test("a regional project gets the regional resource name and endpoint")
    func regional() throws {
        let db = try Self.resolve("prod/billing/db@7", active: "prod")
        #expect(db.location == "europe-west1")
        #expect(db.origins["location"] == .project)
        #expect(db.versionName == "projects/acme-billing-prod/locations/europe-west1/secrets/db/versions/7")
        #expect(db.secretResourceName == "projects/acme-billing-prod/locations/europe-west1/secrets/db")
        #expect(db.endpoint == "https://secretmanager.europe-west1.rep.googleapis.com")
        #expect(db.origins["endpoint"] == .project)

        let custom = try ConfigurationTesting.parse("""
        version: 1
        defaults: { endpoint: "http://127.0.0.1:8085/" }
        environments:
          e: { projects: { p: { project_id: x-project, location: us-east1, secrets: { s: {} } } } }
        """)
        let config = try custom.resolve(SecretReference.parse("e/p/s"), activeEnvironment: nil)
        #expect(config.endpoint == "http://127.0.0.1:8085")
        #expect(config.versionName == "projects/x-project/locations/us-east1/secrets/s/versions/latest")
    }

    @Test("strict isolation refuses references to another environment")
    func strictIsolation() throws {
        let error = try #require(try Self.resolveError("prod/billing/db", active: "dev"))
        #expect(error.message.contains("reference \"prod/billing/db\""))
        #expect(error.message.contains("strict_isolation: true"))
        #expect(error.file == "secretsmith.yaml")
        // the same reference is fine when prod is active, or with no active environment
        #expect(try Self.resolve("prod/billing/db", active: "prod").projectID == "acme-billing-prod")
        #expect(try Self.resolve("prod/billing/db", active: nil).projectID == "acme-billing-prod")
        // an environment without strict isolation may reach into another
        #expect(try Self.resolve("dev/billing/db", active: "shared").projectID == "acme-billing-dev")
    }

    @Test("undeclared projects and secrets are errors unless allow_undeclared")
    func undeclared() throws {
        let project = try #require(try Self.resolveError("biling/db", active: "dev"))
        #expect(project.message.contains("names project \"biling\""))
        #expect(project.hint == "Did you mean \"billing\"?")
        let secret = try #require(try Self.resolveError("billing/dbb", active: "dev"))
        #expect(secret.message.contains("reference \"billing/dbb\" names secret \"dbb\""))
        #expect(secret.hint == "Did you mean \"db\"?")
        let other = try #require(try Self.resolveError("billing/zzzzzz", active: "dev"))
        #expect(other.hint == "Declare it under secrets:, or set allow_undeclared: true on the project.")

        let open = try Self.resolve("open/anything_at-all", active: "dev")
        #expect(open.secretID == "anything_at-all")
        #expect(open.origins["secret_id"] == .builtIn)
        #expect(open.versionName == "projects/acme-open/secrets/anything_at-all/versions/latest")
        let invalid = try #require(try Self.resolveError("open/has.dot", active: "dev"))
        #expect(invalid.message.contains("not a valid Secret Manager secret id"))
    }

    @Test("a relative reference needs an active environment; unknown environments are named")
    func environments() throws {
        let relative = try #require(try Self.resolveError("billing/db", active: nil))
        #expect(relative.message.contains("reference \"billing/db\" is relative"))
        #expect(relative.hint?.contains("--env") == true)
        #expect(relative.hint?.contains("SECRETSMITH_ENV") == true)
        let unknown = try #require(try Self.resolveError("billing/db", active: "prdo"))
        #expect(unknown.message.contains("\"prdo\""))
        #expect(unknown.hint == "Did you mean \"prod\"?")
        let absolute = try #require(try Self.resolveError("staging/billing/db", active: nil))
        #expect(absolute.message.contains("names environment \"staging\""))
        #expect(absolute.kind == .configuration)
    }

    @Test("effective settings of the global layer and of one environment")
    func effectiveSettings() throws {
        let configuration = try Self.configuration()
        let defaults = configuration.defaults
        #expect(defaults.timeout == .seconds(7))
        #expect(defaults.origins["timeout"] == .global)
        #expect(defaults.concurrency == 200)
        #expect(defaults.origins["concurrency"] == .builtIn)
        #expect(defaults.cache.maxEntries == 50)
        #expect(defaults.credentials == .applicationDefault)
        let dev = try #require(configuration.settings(forEnvironment: "dev"))
        #expect(dev.concurrency == 4)
        #expect(dev.origins["concurrency"] == .environment)
        // A value set in a layer applies whatever the transport.
        #expect(dev.concurrency(toward: SecretManagerEndpoint(baseURL: "HTTP://127.0.0.1:1", requiresCredentials: false)) == 4)
        #expect(dev.cache.ttl == .seconds(60))
        #expect(dev.cache.maxStale == .seconds(30))
        #expect(configuration.settings(forEnvironment: "nope") == nil)
        let unknown = ConfigurationError.unknownEnvironment("prdo", in: configuration)
        #expect(unknown.description == "secretsmith.yaml: Environment \"prdo\" is not declared under environments. Did you mean \"prod\"?")
    }

    @Test("declared references of an environment, for check")
    func declaredReferences() throws {
        let references = try Self.configuration().declaredReferences(in: "dev")
        #expect(references.map(\.description) == ["dev/billing/db", "dev/billing/api"])
        #expect(try Self.configuration().declaredReferences(in: "nope").isEmpty)
    }
}
