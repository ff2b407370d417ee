import Foundation
import Testing
@testable import Secretsmith

/// `SECRETSMITH_DEFAULTS__…` and `SECRETSMITH_ENVIRONMENTS__<ENV>__…` override settings of
/// the file's `defaults` and environment layers, through the file's decoder and rules.
@Suite struct EnvironmentOverridesTests {
    static let text = """
        version: 1
        defaults:
          timeout: 10s
          cache: { ttl: 5m, max_entries: 50 }
          watch: { debounce: 2s }
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                secrets: { db: {} }
              pinned:
                project_id: acme-pinned-dev
                timeout: 3s
                secrets: { db: {} }
          prod-eu:
            concurrency: 8
            projects:
              app:
                project_id: acme-app-prod
                secrets: { db: {} }
          qa.eu:
            projects: {}
        """

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> Configuration {
        try ConfigurationTesting.parse(Self.text).applyingEnvironmentOverrides(environment)
    }

    func error(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        do {
            _ = try configuration(environment)
            Issue.record("expected a configuration error", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func aDefaultsOverrideReplacesTheFilesValueAndNamesItsVariable() throws {
        let configuration = try configuration(["SECRETSMITH_DEFAULTS__TIMEOUT": "5s", "SECRETSMITH_DEFAULTS__CACHE__TTL": "1m"])
        let secret = try configuration.resolve(.init(project: "app", secret: "db"), activeEnvironment: "dev")
        #expect(secret.timeout == .seconds(5))
        #expect(secret.origins["timeout"] == .global)
        #expect(secret.settings.environmentVariables["timeout"] == "SECRETSMITH_DEFAULTS__TIMEOUT")
        // Only the named leaf changes: the file's cache.max_entries stays.
        #expect(secret.cache.ttl == .seconds(60))
        #expect(secret.settings.environmentVariables["cache.ttl"] == "SECRETSMITH_DEFAULTS__CACHE__TTL")
        #expect(configuration.defaults.cache.maxEntries == 50)
        #expect(configuration.defaults.environmentVariables["cache.max_entries"] == nil)
    }

    @Test func aNearerLayerOfTheFileStillWinsOverADefaultsOverride() throws {
        let configuration = try configuration(["SECRETSMITH_DEFAULTS__TIMEOUT": "5s"])
        let secret = try configuration.resolve(.init(project: "pinned", secret: "db"), activeEnvironment: "dev")
        #expect(secret.timeout == .seconds(3))
        #expect(secret.origins["timeout"] == .project)
        #expect(secret.settings.environmentVariables["timeout"] == nil)
    }

    @Test func anEnvironmentWithADashIsNamedExactlyOrInItsShellForm() throws {
        for name in ["SECRETSMITH_ENVIRONMENTS__prod-eu__CONCURRENCY", "SECRETSMITH_ENVIRONMENTS__PROD_EU__concurrency"] {
            let configuration = try configuration([name: "32"])
            let settings = try #require(configuration.settings(forEnvironment: "prod-eu"))
            #expect(settings.concurrency == 32, "\(name)")
            #expect(settings.environmentVariables["concurrency"] == name)
            #expect(configuration.settings(forEnvironment: "dev")?.concurrency == EffectiveSettings.defaultConcurrency)
        }
        let dotted = try configuration(["SECRETSMITH_ENVIRONMENTS__QA_EU__TIMEOUT": "7s"])
        #expect(dotted.settings(forEnvironment: "qa.eu")?.timeout == .seconds(7))
        #expect(dotted.settings(forEnvironment: "prod-eu")?.timeout == .seconds(10))
    }

    @Test func aShellFormThatFitsTwoEnvironmentsIsRefusedAndTheExactNameIsNot() throws {
        let text = "version: 1\nenvironments:\n  prod-eu: {}\n  prod.eu: {}\n"
        do {
            _ = try ConfigurationTesting.parse(text).applyingEnvironmentOverrides(
                ["SECRETSMITH_ENVIRONMENTS__PROD_EU__TIMEOUT": "7s"])
            Issue.record("expected an error")
        } catch {
            #expect(error.environmentVariable == "SECRETSMITH_ENVIRONMENTS__PROD_EU__TIMEOUT")
            #expect(error.description.contains("prod-eu and prod.eu"))
        }
        let exact = try ConfigurationTesting.parse(text).applyingEnvironmentOverrides(
            ["SECRETSMITH_ENVIRONMENTS__prod.eu__TIMEOUT": "7s"])
        #expect(exact.settings(forEnvironment: "prod.eu")?.timeout == .seconds(7))
        #expect(exact.settings(forEnvironment: "prod-eu")?.timeout == .seconds(10))
    }

    @Test func aMalformedValueIsAnErrorNamingTheVariableAndTheKeyPath() throws {
        let error = try #require(self.error(["SECRETSMITH_DEFAULTS__TIMEOUT": "5 seconds"]))
        #expect(error.environmentVariable == "SECRETSMITH_DEFAULTS__TIMEOUT")
        #expect(error.keyPath == "defaults.timeout")
        #expect(error.file == nil && error.mark == nil)
        #expect(error.kind == .configuration)
        #expect(error.description.hasPrefix("Environment variable SECRETSMITH_DEFAULTS__TIMEOUT: \"5 seconds\" is not a duration"))

        let range = try #require(self.error(["SECRETSMITH_ENVIRONMENTS__dev__CONCURRENCY": "0"]))
        #expect(range.environmentVariable == "SECRETSMITH_ENVIRONMENTS__dev__CONCURRENCY")
        #expect(range.keyPath == "environments.dev.concurrency")
        #expect(range.message == "0 is out of range; expected 1 to 1024")
    }

    @Test func everyWrongVariableIsReported() throws {
        let error = try #require(
            self.error(["SECRETSMITH_DEFAULTS__TIMEOUT": "x", "SECRETSMITH_ENVIRONMENTS__dev__RETRY__MAX_ATTEMPTS": "0"]))
        #expect(Set(error.all.compactMap(\.environmentVariable)) == [
            "SECRETSMITH_DEFAULTS__TIMEOUT", "SECRETSMITH_ENVIRONMENTS__dev__RETRY__MAX_ATTEMPTS",
        ])
    }

    @Test func unknownOrMisplacedSettingsAndMisspelledNamesAreRefused() throws {
        let unknown = try #require(self.error(["SECRETSMITH_DEFAULTS__TIMEOUTT": "5s"]))
        #expect(unknown.environmentVariable == "SECRETSMITH_DEFAULTS__TIMEOUTT")
        #expect(unknown.message == "unknown key \"timeoutt\"")
        #expect(unknown.hint == "Did you mean \"timeout\"?")

        let nested = try #require(self.error(["SECRETSMITH_DEFAULTS__CACHE__TTLL": "5s"]))
        #expect(nested.keyPath == "defaults.cache.ttll")

        let single = try #require(self.error(["SECRETSMITH_DEFAULTS_TIMEOUT": "5s"]))
        #expect(single.environmentVariable == "SECRETSMITH_DEFAULTS_TIMEOUT")
        #expect(single.hint?.contains("Did you mean SECRETSMITH_DEFAULTS__TIMEOUT?") == true)

        let environment = try #require(self.error(["SECRETSMITH_ENVIRONMENTS__staging__TIMEOUT": "5s"]))
        #expect(environment.code == .unknownEnvironment)
        #expect(environment.environmentVariable == "SECRETSMITH_ENVIRONMENTS__staging__TIMEOUT")

        let projects = try #require(self.error(["SECRETSMITH_ENVIRONMENTS__dev__PROJECTS__APP__TIMEOUT": "5s"]))
        #expect(projects.message.contains("cannot be set here"))
        let isolation = try #require(self.error(["SECRETSMITH_ENVIRONMENTS__dev__STRICT_ISOLATION": "false"]))
        #expect(isolation.message.contains("cannot be set here"))
        let noSetting = try #require(self.error(["SECRETSMITH_ENVIRONMENTS__dev__": "5s"]))
        #expect(noSetting.environmentVariable == "SECRETSMITH_ENVIRONMENTS__dev__")
        // An environment and no setting at all: not an undeclared environment.
        let bare = try #require(self.error(["SECRETSMITH_ENVIRONMENTS__PROD_EU": "5s"]))
        #expect(bare.code != .unknownEnvironment)
        #expect(bare.message == "the name does not name a setting after the environment")
    }

    @Test func anUnsetVariableInAnEnvironmentsOverrideIsNeededOnlyByThatEnvironment() throws {
        let configuration = try configuration(["SECRETSMITH_ENVIRONMENTS__PROD_EU__TIMEOUT": "${SECRETSMITH_TEST_UNSET_9F2}"])
        #expect(configuration.settings(forEnvironment: "dev") != nil)
        #expect(throws: ConfigurationError.self) {
            try configuration.resolve(.init(project: "app", secret: "db"), activeEnvironment: "prod-eu")
        }
        // At defaults it is needed by every environment: an error at once.
        let failure = try #require(self.error(["SECRETSMITH_DEFAULTS__TIMEOUT": "${SECRETSMITH_TEST_UNSET_9F2}"]))
        #expect(failure.unsetVariable == "SECRETSMITH_TEST_UNSET_9F2")
    }

    @Test(arguments: [
        ("SECRETSMITH_DEFAULT__TIMEOUT", "SECRETSMITH_DEFAULTS__TIMEOUT"),
        ("SECRETSMITH_ENVIRONMENT__dev__TIMEOUT", "SECRETSMITH_ENVIRONMENTS__dev__TIMEOUT"),
    ])
    func aSingularPrefixIsATypoNotAnIgnoredVariable(name: String, meant: String) throws {
        let typo = try #require(self.error([name: "5s"]))
        #expect(typo.environmentVariable == name)
        #expect(typo.hint?.contains("Did you mean \(meant)?") == true, "\(typo.hint ?? "")")
    }

    @Test func otherSecretsmithVariablesAreNotOverrides() throws {
        let environment = [
            "SECRETSMITH_ENV": "dev", "SECRETSMITH_CONFIG": "other.yaml", "SECRETSMITH_ALLOW_CORE_DUMPS": "1",
            "SECRETSMITH_FROZEN": "1", "SECRETSMITH_IAM_CREDENTIALS_ENDPOINT": "http://127.0.0.1:9",
            "SECRETSMITH_BIN": "/bin/true", "SECRETSMITH_DEFAULTS__TIMEOUT": "",
        ]
        let configuration = try configuration(environment)
        #expect(configuration.global == (try ConfigurationTesting.parse(Self.text)).global)
    }

    @Test func aFileModeGrantingOthersAccessNeedsAllowWorldReadable() throws {
        let refused = try #require(self.error(["SECRETSMITH_DEFAULTS__FILE_MODE": "0644"]))
        #expect(refused.keyPath == "defaults.file_mode")
        #expect(refused.environmentVariable == "SECRETSMITH_DEFAULTS__FILE_MODE")
        let allowed = try configuration([
            "SECRETSMITH_DEFAULTS__FILE_MODE": "0644", "SECRETSMITH_DEFAULTS__ALLOW_WORLD_READABLE": "true",
        ])
        #expect(allowed.defaults.fileMode.description == "0644")
        #expect(allowed.defaults.environmentVariables["file_mode"] == "SECRETSMITH_DEFAULTS__FILE_MODE")
    }

    @Test func mappingValuesAreYAMLFlowAndNestedKeysKeepTheirSiblings() throws {
        let configuration = try configuration([
            "SECRETSMITH_DEFAULTS__CREDENTIALS": #"{"type": "service_account_file", "path": "keys/sa.json"}"#,
            "SECRETSMITH_DEFAULTS__WATCH__POLL_INTERVAL": "30s",
            "SECRETSMITH_DEFAULTS__CIRCUIT_BREAKER__FAILURE_THRESHOLD": "4",
        ])
        let defaults = configuration.defaults
        #expect(defaults.credentials == .serviceAccountFile(path: "/config/keys/sa.json"))
        #expect(defaults.environmentVariables["credentials"] == "SECRETSMITH_DEFAULTS__CREDENTIALS")
        #expect(defaults.watch.pollInterval == .seconds(30))
        #expect(defaults.watch.debounce == .seconds(2))
        #expect(defaults.environmentVariables["watch.poll_interval"] == "SECRETSMITH_DEFAULTS__WATCH__POLL_INTERVAL")
        // The alias sets two settings; both name the variable.
        #expect(defaults.circuitBreaker.minimumCalls == 4)
        #expect(defaults.environmentVariables["circuit_breaker.minimum_calls"] == "SECRETSMITH_DEFAULTS__CIRCUIT_BREAKER__FAILURE_THRESHOLD")
        #expect(defaults.environmentVariables["circuit_breaker.failure_rate_threshold"] == "SECRETSMITH_DEFAULTS__CIRCUIT_BREAKER__FAILURE_THRESHOLD")
    }

    @Test func twoVariablesForOneSettingAreRefused() throws {
        let error = try #require(
            self.error(["SECRETSMITH_ENVIRONMENTS__prod-eu__TIMEOUT": "1s", "SECRETSMITH_ENVIRONMENTS__PROD_EU__TIMEOUT": "2s"]))
        #expect(error.environmentVariable == "SECRETSMITH_ENVIRONMENTS__prod-eu__TIMEOUT")
        #expect(error.message.contains("sets the same setting as"))
    }

    @Test func aLocationOverrideMovesTheEndpointAndNamesTheVariableForBoth() throws {
        let configuration = try configuration(["SECRETSMITH_DEFAULTS__LOCATION": "europe-west1"])
        let secret = try configuration.resolve(.init(project: "app", secret: "db"), activeEnvironment: "dev")
        #expect(secret.endpoint == "https://secretmanager.europe-west1.rep.googleapis.com")
        #expect(secret.settings.environmentVariables["endpoint"] == "SECRETSMITH_DEFAULTS__LOCATION")
        #expect(secret.settings.environmentVariables["location"] == "SECRETSMITH_DEFAULTS__LOCATION")
    }
}
