import Testing
import YAML
@testable import Secretsmith

@Suite("Configuration parsing")
struct ConfigurationParsingTests {
    @Test("the README's configuration example parses, with paths resolved against the file's directory")
    func productExample() throws {
        let path = try ConfigurationTesting.fixturePath("product-example.yaml")
        let configuration = try Configuration.load(path: path, environment: [:])
        let directory = String(path[..<path.lastIndex(of: "/")!])
        #expect(configuration.file == path)
        #expect(configuration.directory == directory)
        #expect(configuration.environmentNames == ["dev", "prod"])
        #expect(configuration.global.credentials == .applicationDefault)
        #expect(configuration.global.cacheTTL == .seconds(300))
        #expect(configuration.global.retryInitialBackoff == .milliseconds(250))
        #expect(configuration.global.retryMultiplier == 2)
        #expect(configuration.global.fileMode?.rawValue == 0o600)

        let dev = try #require(configuration.environment(named: "dev"))
        #expect(dev.strictIsolation)
        #expect(dev.settings.credentials == .serviceAccountFile(path: directory + "/keys/dev-sa.json"))
        let billing = try #require(dev.project(alias: "billing"))
        #expect(billing.projectID == "acme-billing-dev")
        #expect(billing.secrets.map(\.name) == ["db-password", "stripe-key"])
        #expect(billing.secret(named: "db-password")?.secretID == "db-password")
        #expect(billing.secret(named: "stripe-key")?.secretID == "stripe_api_key")
        #expect(billing.secret(named: "stripe-key")?.settings.version == "3")
        #expect(billing.mark == Mark(line: 15, column: 7))

        let prod = try #require(configuration.environment(named: "prod"))
        #expect(prod.settings.credentials == .impersonate(
            targetServiceAccount: "deployer@acme-prod.iam.gserviceaccount.com", delegates: [],
            lifetime: .seconds(3600), source: .applicationDefault
        ))
        #expect(prod.project(alias: "billing")?.settings.location == "europe-west1")

        #expect(configuration.outputs.map(\.name) == ["dotenv", "nginx"])
        let dotenv = try #require(configuration.output(named: "dotenv"))
        #expect(dotenv.format == .dotenv)
        #expect(dotenv.path == directory + "/out/app.env")
        #expect(dotenv.values.map(\.key) == ["DATABASE_PASSWORD", "STRIPE_KEY"])
        #expect(dotenv.values[0].reference == "billing/db-password")
        #expect(dotenv.values[0].parsedReference == SecretReference(project: "billing", secret: "db-password"))
        #expect(dotenv.values[0].mark == Mark(line: 36, column: 26))
        #expect(dotenv.mode.rawValue == 0o600)
        #expect(dotenv.explicitMode == nil)
        #expect(dotenv.createDirectories)
        #expect(!dotenv.followSymlinks)
        let nginx = try #require(configuration.output(named: "nginx"))
        #expect(nginx.format == .template)
        #expect(nginx.template == directory + "/templates/nginx.conf.tmpl")
        #expect(nginx.values.isEmpty)
        #expect(nginx.mode.description == "0640")
    }

    /// A port, host or user information that the client refuses before its first request
    /// is refused when the file is read, at the `endpoint:` line; a password in the URL is
    /// never echoed.
    @Test(arguments: [
        ("https://x:0", "the port 0 is outside 1–65535"),
        ("http://[::1]:99999", "the port 99999 is outside 1–65535"),
        ("https://user:hunter2@x", "user information"),
        ("https://", "\"https://\" must be a scheme and host"),
    ])
    func endpointsAreCheckedAtTheirLine(endpoint: String, expected: String) throws {
        let error = try #require(ConfigurationTesting.error("version: 1\ndefaults:\n  endpoint: \"\(endpoint)\"\n"))
        #expect(error.mark == Mark(line: 3, column: 13))
        #expect(error.keyPath == "defaults.endpoint")
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.description.contains("hunter2"))
    }

    @Test("a version setting that is no alias Secret Manager allows says the alias rule")
    func versionSettingNamesTheAliasRule() throws {
        for version in ["NEW", "a" + String(repeating: "b", count: 63)] {
            let error = try #require(ConfigurationTesting.error("version: 1\ndefaults:\n  version: \(version)\n"))
            #expect(error.keyPath == "defaults.version")
            #expect(error.message.contains("at most 62 letters, digits, '_' or '-'; not new"), "\(error.message)")
        }
    }

    @Test("an unreadable file is an error naming the path")
    func unreadable() {
        #expect {
            try Configuration.load(path: "/nonexistent/secretsmith.yaml", environment: [:])
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/secretsmith.yaml: Cannot read the configuration file")
        }
    }

    @Test("environment names are names, never YAML 1.1 booleans")
    func namesAreNames() throws {
        let configuration = try ConfigurationTesting.parse("""
        version: 1
        environments:
          no:
            projects:
              on: { project_id: p-on-yes, secrets: { yes: {} } }
          off: {}
        """)
        #expect(configuration.environmentNames == ["no", "off"])
        #expect(configuration.environment(named: "no")?.project(alias: "on")?.secrets.first?.name == "yes")
        let resolved = try configuration.resolve(SecretReference.parse("on/yes"), activeEnvironment: "no")
        #expect(resolved.versionName == "projects/p-on-yes/secrets/yes/versions/latest")
    }

    @Test("versions may be written as numbers or strings")
    func versionScalars() throws {
        let configuration = try ConfigurationTesting.parse(ConfigurationTesting.minimal(devBody: """
            version: 3
            projects:
              p: { project_id: proj-one, version: "4", secrets: { s: { version: 5 } } }
        """))
        #expect(configuration.environment(named: "dev")?.settings.version == "3")
        #expect(configuration.environment(named: "dev")?.project(alias: "p")?.settings.version == "4")
        #expect(configuration.environment(named: "dev")?.project(alias: "p")?.secret(named: "s")?.settings.version == "5")
        let bad = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: "    version: 03\n"))
        #expect(bad?.keyPath == "environments.dev.version")
        #expect(bad?.mark == Mark(line: 4, column: 14))
    }

    @Test("file modes are octal; modes granting access to others need allow_world_readable")
    func fileModes() throws {
        let configuration = try ConfigurationTesting.parse("""
        version: 1
        defaults: { file_mode: 640 }
        outputs:
          - { name: a, format: json, path: a.json, values: { k: p/s }, mode: 0600 }
          - { name: b, format: json, path: b.json, values: { k: p/s }, mode: "0664", allow_world_readable: true }
          - { name: c, format: json, path: c.json, values: { k: p/s } }
        """)
        #expect(configuration.global.fileMode?.rawValue == 0o640)
        #expect(configuration.outputs[0].mode.rawValue == 0o600)
        #expect(configuration.outputs[1].mode.rawValue == 0o664)
        #expect(configuration.outputs[2].mode.rawValue == 0o640)
        #expect(configuration.outputs[2].path == "/config/c.json")

        let worldReadable = ConfigurationTesting.error("""
        version: 1
        outputs:
          - { name: a, format: json, path: a.json, values: { k: p/s }, mode: "0644" }
        """)
        #expect(worldReadable?.message.contains("grants access to other users") == true)
        #expect(worldReadable?.keyPath == "outputs[0].mode")
        #expect(worldReadable?.mark == Mark(line: 3, column: 70))
        #expect(worldReadable?.hint?.contains("allow_world_readable: true") == true)

        let defaultsWorld = ConfigurationTesting.error("version: 1\ndefaults:\n  file_mode: \"0606\"\n")
        #expect(defaultsWorld?.keyPath == "defaults.file_mode")
        let allowed = try ConfigurationTesting.parse("version: 1\ndefaults:\n  file_mode: \"0604\"\n  allow_world_readable: true\n")
        #expect(allowed.global.fileMode?.rawValue == 0o604)

        for bad in ["\"0800\"", "\"60\"", "\"4755\"", "rw-r-----", "\"00600\""] {
            let error = ConfigurationTesting.error("version: 1\ndefaults:\n  file_mode: \(bad)\n")
            #expect(error?.keyPath == "defaults.file_mode", "\(bad)")
            #expect(error?.mark == Mark(line: 3, column: 14), "\(bad)")
        }
    }

    @Test("durations: ms, s, m, h and combinations; bad ones are refused with position")
    func durations() throws {
        let configuration = try ConfigurationTesting.parse("""
        version: 1
        defaults:
          timeout: 1m30s
          cache: { ttl: 1h, max_stale: 0s }
          retry: { initial_backoff: 250ms, max_backoff: 2h15m10s500ms }
        """)
        #expect(configuration.global.timeout == .seconds(90))
        #expect(configuration.global.cacheTTL == .seconds(3600))
        #expect(configuration.global.cacheMaxStale == .zero)
        #expect(configuration.global.retryInitialBackoff == .milliseconds(250))
        #expect(configuration.global.retryMaxBackoff == .milliseconds(8_110_500))

        for bad in ["10", "10 s", "5x", "1s1m", "ms", "-1s", "1.5s", "0s"] {
            let error = ConfigurationTesting.error("version: 1\ndefaults:\n  timeout: \(bad)\n")
            #expect(error?.keyPath == "defaults.timeout", "\(bad)")
            #expect(error?.mark == Mark(line: 3, column: 12), "\(bad)")
        }
        let mapping = ConfigurationTesting.error("version: 1\ndefaults:\n  cache:\n    ttl: { a: 1 }\n")
        #expect(mapping?.message == "expected a string, found a mapping")
        #expect(mapping?.keyPath == "defaults.cache.ttl")
        #expect(mapping?.mark == Mark(line: 4, column: 10))
    }

    @Test("numbers and booleans are checked")
    func numbersAndBooleans() {
        let badNumber = ConfigurationTesting.error("version: 1\ndefaults:\n  concurrency: lots\n")
        #expect(badNumber?.message.contains("not a whole number") == true)
        #expect(badNumber?.keyPath == "defaults.concurrency")
        let outOfRange = ConfigurationTesting.error("version: 1\ndefaults:\n  retry: { max_attempts: 0 }\n")
        #expect(outOfRange?.keyPath == "defaults.retry.max_attempts")
        let badMultiplier = ConfigurationTesting.error("version: 1\ndefaults:\n  retry: { multiplier: 2x }\n")
        #expect(badMultiplier?.keyPath == "defaults.retry.multiplier")
        let badBool = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: "    strict_isolation: yes\n"))
        #expect(badBool?.message.contains("not a boolean") == true)
        #expect(badBool?.hint == "Write true or false.")
        #expect(badBool?.mark == Mark(line: 4, column: 23))
    }

    @Test("${NAME} and ${NAME:-default} expand from the given environment; unset is an error")
    func variableExpansion() throws {
        let text = """
        version: 1
        environments:
          dev:
            projects:
              p:
                project_id: ${PROJECT}
                location: ${REGION:-europe-west4}
                quota_project: "${QUOTA:-fallback}"
        outputs:
          - { name: a, format: json, path: "${OUT_DIR}/a.json", values: { k: "p/s" } }
          - { name: b, format: json, path: "cost-$$5-$${HOME}.json", values: { k: "p/s" } }
        """
        let configuration = try ConfigurationTesting.parse(
            text, environment: ["PROJECT": "acme-dev", "OUT_DIR": "/run/app", "QUOTA": ""]
        )
        let project = try #require(configuration.environment(named: "dev")?.project(alias: "p"))
        #expect(project.projectID == "acme-dev")
        #expect(project.settings.location == "europe-west4")
        #expect(project.settings.quotaProject == "fallback")
        #expect(configuration.outputs[0].path == "/run/app/a.json")
        #expect(configuration.outputs[1].path == "/config/cost-$$5-${HOME}.json")

        // An unset variable in an environment is that environment's error, raised when
        // it is used.
        let lazy = try ConfigurationTesting.parse(text, environment: ["OUT_DIR": "/x"])
        let unset = lazy.environment(named: "dev")?.variableError
        #expect(unset?.message == "environment variable PROJECT is not set")
        #expect(unset?.mark == Mark(line: 6, column: 21))
        #expect(unset?.keyPath == "environments.dev.projects.p.project_id")
        #expect(unset?.description.hasPrefix("secretsmith.yaml:6:21: Environment variable PROJECT is not set") == true)
        #expect(throws: try #require(unset)) { try lazy.resolve(SecretReference.parse("p/s"), activeEnvironment: "dev") }

        let offset = try ConfigurationTesting.parse(ConfigurationTesting.minimal(devBody: "    endpoint: https://${HOST}\n"))
        #expect(offset.environment(named: "dev")?.variableError?.mark == Mark(line: 4, column: 23))
        // In `defaults:` it is needed by every command: an error at once.
        let global = ConfigurationTesting.error("version: 1\ndefaults:\n  endpoint: https://${HOST}\n")
        #expect(global?.mark == Mark(line: 3, column: 21))
        // A plain scalar folded over two lines (a fuzzer's input): the value's offset is not a
        // column, so the error names the scalar's start; an anchor or a tag before the
        // value does not shift the `$`.
        let folded = try ConfigurationTesting.parse(
            ConfigurationTesting.minimal(devBody: "    endpoint: https://x\n      ${HOST}/path\n"))
        #expect(folded.environment(named: "dev")?.variableError?.mark == Mark(line: 4, column: 15))
        let anchored = try ConfigurationTesting.parse(
            ConfigurationTesting.minimal(devBody: "    endpoint: &e !!str https://${HOST}\n"))
        #expect(anchored.environment(named: "dev")?.variableError?.mark == Mark(line: 4, column: 32))
        let unclosed = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: "    location: ${REGION\n"))
        #expect(unclosed?.message.contains("no closing") == true)
        let badName = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: "    location: ${1X}\n"))
        #expect(badName?.message.contains("does not name an environment variable") == true)
    }

    @Test("an unknown key is an error with its exact position, key path and a did-you-mean hint")
    func unknownKey() throws {
        let error = try #require(ConfigurationTesting.error("""
        version: 1
        environments:
          prod:
            projects:
              billing:
                project_id: acme-billing
                secretz:
                  db: {}
        """))
        #expect(error.mark == Mark(line: 7, column: 9))
        #expect(error.keyPath == "environments.prod.projects.billing.secretz")
        #expect(error.hint == "Did you mean \"secrets\"?")
        #expect(error.description == """
        secretsmith.yaml:7:9: Unknown key "secretz" (at environments.prod.projects.billing.secretz). Did you mean "secrets"?
        """)
        #expect(error.kind == .configuration)

        let top = ConfigurationTesting.error("version: 1\nenviroments: {}\n")
        #expect(top?.hint == "Did you mean \"environments\"?")
        #expect(top?.mark == Mark(line: 2, column: 1))
        let nested = ConfigurationTesting.error("version: 1\ndefaults:\n  retry: { max_attempt: 3 }\n")
        #expect(nested?.keyPath == "defaults.retry.max_attempt")
        #expect(nested?.hint == "Did you mean \"max_attempts\"?")
        let far = ConfigurationTesting.error("version: 1\nzzzz: 1\n")
        #expect(far?.hint?.hasPrefix("Valid keys here:") == true)
    }

    @Test("a setting in a layer that does not take it says where it belongs")
    func misplacedSetting() {
        let error = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
            projects:
              p:
                project_id: x-project
                secrets:
                  s: { concurrency: 4 }
        """))
        #expect(error?.keyPath == "environments.dev.projects.p.secrets.s.concurrency")
        #expect(error?.message.contains("set it in defaults or an environment") == true)
        let projects = ConfigurationTesting.error("version: 1\ndefaults:\n  projects: {}\n")
        #expect(projects?.message.contains("under environments.<env>.projects") == true)
        #expect(projects?.mark == Mark(line: 3, column: 3))
    }

    @Test("the cache's size is set once, under defaults: an environment, project or secret naming it is refused")
    func cacheSizeOnlyUnderDefaults() throws {
        let environment = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
            cache: { ttl: 1m, max_entries: 10 }
            projects:
              p: { project_id: x-project }
        """))
        #expect(environment?.keyPath == "environments.dev.cache.max_entries")
        #expect(environment?.message.contains("one cache serves every environment") == true)
        #expect(environment?.message.contains("under defaults") == true)
        let secret = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
            projects:
              p:
                project_id: x-project
                secrets:
                  s: { cache: { max_entries: 3 } }
        """))
        #expect(secret?.keyPath == "environments.dev.projects.p.secrets.s.cache.max_entries")
        // The other cache settings stay per layer, and the size under defaults is taken.
        let accepted = try ConfigurationTesting.parse(
            "version: 1\ndefaults:\n  cache: { max_entries: 10 }\nenvironments:\n  dev:\n    cache: { ttl: 1m }\n"
                + "    projects:\n      p: { project_id: x-project }\n")
        #expect(accepted.defaults.cache.maxEntries == 10)
    }

    @Test("a long bad value is quoted cut short with its length, not whole")
    func longBadValuesAreCut() throws {
        let long = String(repeating: "x", count: 100_000)
        let duration = try #require(ConfigurationTesting.error("version: 1\ndefaults:\n  timeout: \(long)\n"))
        #expect(duration.description.count < 400, "\(duration.description.prefix(500))")
        #expect(duration.message.contains("\"\(String(repeating: "x", count: 80))…\" (100000 characters) is not a duration"))
        let overridden = try #require(
            #expect(throws: ConfigurationError.self) {
                _ = try ConfigurationTesting.parse("version: 1\n").applyingEnvironmentOverrides(["SECRETSMITH_DEFAULTS__CONCURRENCY": long])
            })
        #expect(overridden.description.count < 400, "\(overridden.description.prefix(500))")
        #expect(overridden.description.contains("SECRETSMITH_DEFAULTS__CONCURRENCY"))
        // The other settings a user types, and a reference in values:, are cut the same way.
        let documents = [
            "version: 1\ndefaults:\n  file_mode: \"0\(long)\"\n",
            "version: 1\ndefaults:\n  credentials: { type: \(long) }\n",
            "version: 1\ndefaults:\n  circuit_breaker: { failure_rate_threshold: \(long) }\n",
            "version: 1\ndefaults:\n  watch: { subscription: \(long) }\n",
            "version: 1\nenvironments:\n  dev:\n    projects:\n      p: { project_id: acme-app-dev }\n"
                + "outputs:\n  - { name: o, format: dotenv, path: o.env, values: { K: \"p/s!\(long)\" } }\n",
        ]
        for document in documents {
            let error = try #require(ConfigurationTesting.error(document))
            #expect(error.description.count < 1000, "\(error.description.prefix(300))")
            #expect(error.description.contains("characters)"), "\(error.description.prefix(300))")
        }
        // A value up to the limit is quoted whole.
        let short = try #require(ConfigurationTesting.error("version: 1\ndefaults:\n  timeout: \(String(repeating: "y", count: 80))\n"))
        #expect(short.message.contains("\"\(String(repeating: "y", count: 80))\" is not a duration"))
    }

    @Test("YAML problems surface as configuration errors with position")
    func yamlErrors() {
        let duplicate = ConfigurationTesting.error("version: 1\nenvironments:\n  dev: {}\n  dev: {}\n")
        #expect(duplicate?.message.contains("duplicate key \"dev\"") == true)
        #expect(duplicate?.mark == Mark(line: 4, column: 3))
        let syntax = ConfigurationTesting.error("version: 1\nenvironments: [\n")
        #expect(syntax?.message.hasPrefix("invalid YAML") == true)
        #expect(syntax?.file == "secretsmith.yaml")
        let empty = ConfigurationTesting.error("# nothing\n")
        #expect(empty?.message == "the configuration file is empty")
        let noVersion = ConfigurationTesting.error("environments: {}\n")
        #expect(noVersion?.hint == "Add version: 1 at the top.")
        let wrongVersion = ConfigurationTesting.error("version: 2\n")
        #expect(wrongVersion?.keyPath == "version")
    }

    @Test("credentials of every type parse; bad ones are refused")
    func credentials() throws {
        let configuration = try ConfigurationTesting.parse("""
        version: 1
        environments:
          a: { credentials: { type: service_account_json, json_env: SA_JSON } }
          b: { credentials: { type: metadata } }
          c: { credentials: { type: access_token_env, env: CI_TOKEN } }
          d:
            credentials:
              type: impersonate
              target_service_account: t@p.iam.gserviceaccount.com
              delegates: [d1@p.iam.gserviceaccount.com]
              lifetime: 30m
              source: { type: service_account_file, path: /etc/sa.json }
          e: { credentials: { type: service_account_file, path: ../keys/sa.json } }
        """)
        #expect(configuration.environment(named: "a")?.settings.credentials == .serviceAccountJSON(environmentVariable: "SA_JSON"))
        #expect(configuration.environment(named: "b")?.settings.credentials == .metadata)
        #expect(configuration.environment(named: "c")?.settings.credentials == .accessTokenEnvironment(variable: "CI_TOKEN"))
        #expect(configuration.environment(named: "d")?.settings.credentials == .impersonate(
            targetServiceAccount: "t@p.iam.gserviceaccount.com", delegates: ["d1@p.iam.gserviceaccount.com"],
            lifetime: .seconds(1800), source: .serviceAccountFile(path: "/etc/sa.json")
        ))
        #expect(configuration.environment(named: "e")?.settings.credentials == .serviceAccountFile(path: "/keys/sa.json"))

        let typo = ConfigurationTesting.error("version: 1\ndefaults:\n  credentials: { type: service_acount_file, path: x }\n")
        #expect(typo?.hint == "Did you mean \"service_account_file\"?")
        #expect(typo?.keyPath == "defaults.credentials.type")
        let missing = ConfigurationTesting.error("version: 1\ndefaults:\n  credentials: { type: service_account_file }\n")
        #expect(missing?.keyPath == "defaults.credentials.path")
        let extra = ConfigurationTesting.error("version: 1\ndefaults:\n  credentials: { type: adc, path: x }\n")
        #expect(extra?.keyPath == "defaults.credentials.path")
        let badEnv = ConfigurationTesting.error("version: 1\ndefaults:\n  credentials: { type: access_token_env, env: 'A-B' }\n")
        #expect(badEnv?.keyPath == "defaults.credentials.env")
        let shorthand = try ConfigurationTesting.parse("version: 1\ndefaults:\n  credentials: metadata\n")
        #expect(shorthand.global.credentials == .metadata)
        let shorthandNeedsPath = ConfigurationTesting.error("version: 1\ndefaults:\n  credentials: service_account_file\n")
        #expect(shorthandNeedsPath?.keyPath == "defaults.credentials.path")
        let noType = ConfigurationTesting.error("version: 1\ndefaults:\n  credentials: { path: x }\n")
        #expect(noType?.message == "credentials need a type")
    }

    @Test("secret ids are validated against Google's charset")
    func secretIDs() {
        let badID = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
            projects:
              p: { project_id: x-project, secrets: { s: { secret_id: "has.dot" } } }
        """))
        #expect(badID?.keyPath == "environments.dev.projects.p.secrets.s.secret_id")
        let badName = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
            projects:
              p: { project_id: x-project, secrets: { tls.crt: {} } }
        """))
        #expect(badName?.hint == "Add secret_id: with the real id.")
        let noProjectID = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: "    projects:\n      p: {}\n"))
        #expect(noProjectID?.message == "project \"p\" has no project_id")
        #expect(noProjectID?.mark == Mark(line: 5, column: 7))
    }

    @Test("a variable used only in one environment or one output is needed only when that one is used")
    func lazyExpansion() throws {
        let text = """
        version: 1
        environments:
          dev:
            projects:
              app: { project_id: acme-app-dev, secrets: { s: {} } }
          prod:
            projects:
              app: { project_id: "${PROD_PROJECT}", secrets: { s: {} } }
        outputs:
          - { name: env, format: dotenv, path: "out/${SECRETSMITH_ENV}/app.env", values: { S: app/s } }
          - { name: fixed, format: dotenv, path: out/fixed.env, values: { S: dev/app/s } }
        """
        let configuration = try ConfigurationTesting.parse(text)
        #expect(try configuration.resolve(SecretReference.parse("dev/app/s"), activeEnvironment: nil).projectID == "acme-app-dev")
        #expect(configuration.environment(named: "prod")?.variableError?.mark == Mark(line: 8, column: 26))
        #expect {
            try configuration.resolve(SecretReference.parse("prod/app/s"), activeEnvironment: nil)
        } throws: { ($0 as? ConfigurationError)?.message == "environment variable PROD_PROJECT is not set" }

        let output = try #require(configuration.output(named: "env"))
        #expect(output.variableError?.message == "environment variable SECRETSMITH_ENV is not set")
        #expect(output.variableError?.mark == Mark(line: 10, column: 40))
        // An output that is not selected is not expanded; a selected one reports the variable.
        let fixed = RenderPlan.collect(configuration: configuration, environment: nil, only: ["fixed"])
        #expect(fixed.problems.isEmpty)
        #expect(fixed.plan.outputs.map(\.output.name) == ["fixed"])
        let all = RenderPlan.collect(configuration: configuration, environment: nil, only: [])
        // No environment selected: one usage problem saying how to select one.
        #expect(all.problems.map(\.error.description) == [RenderPlan.noEnvironmentSelected])
        #expect(all.problems.map(\.error.kind) == [.usage])
        #expect(output.variableError?.hint == "Pass --env or set SECRETSMITH_ENV.")

        let dev = try ConfigurationTesting.parse(text, environment: ["SECRETSMITH_ENV": "dev"])
        #expect(try RenderPlan.make(configuration: dev, environment: "dev", only: []).outputs.count == 2)
        let prod = try ConfigurationTesting.parse(text, environment: ["SECRETSMITH_ENV": "prod"])
        #expect {
            try RenderPlan.make(configuration: prod, environment: "prod", only: [])
        } throws: { error in
            let problems = (error as? RenderFailure)?.problems ?? []
            return problems.count == 1 && (problems[0].error as? ConfigurationError)?.mark == Mark(line: 8, column: 26)
        }
    }

    @Test("every environment's and every output's first error is reported, not only the file's first")
    func everyError() throws {
        let error = try #require(ConfigurationTesting.error("""
        version: 1
        defaults:
          timeout: soon
        environments:
          dev:
            projects:
              app: { project_id: "..", secrets: { s: {} } }
          prod:
            concurrency: 0
        outputs:
          - { name: a, format: yaml, path: out/a, values: { K: app/s } }
          - { name: b, format: dotenv, path: out/b, values: { K: app/s } }
          - { name: b, format: dotenv, path: out/c, values: { K: app/s } }
        """))
        #expect(error.all.map(\.keyPath) == [
            "defaults.timeout", "environments.dev.projects.app.project_id", "environments.prod.concurrency",
            "outputs[0].format", "outputs[2].name",
        ])
        #expect(error.all.map(\.mark?.line) == [3, 7, 9, 11, 13])
        #expect(error.description.hasPrefix("secretsmith.yaml:3:12: "), "the first error's own description")
    }

    @Test("inside one environment, every project, secret and unknown key is reported")
    func everyErrorInsideAnEnvironment() throws {
        let error = try #require(ConfigurationTesting.error("""
        version: 1
        environments:
          dev:
            timeout: 1x
            strict_isolatoin: false
            projects:
              app:
                project_id: acme-app-dev
                secrets:
                  good: {}
                  "bad.name": {}
                  other: { version: "01" }
              web: { project_id: "Web", secretz: {} }
        """))
        #expect(error.all.map(\.keyPath) == [
            "environments.dev.timeout", "environments.dev.strict_isolatoin", "environments.dev.projects.app.secrets.bad.name",
            "environments.dev.projects.app.secrets.other.version", "environments.dev.projects.web.project_id",
            "environments.dev.projects.web.secretz",
        ])
        #expect(error.all[1].hint == "Did you mean \"strict_isolation\"?")
    }

    @Test("YAML errors caused by tabs or indentation say so")
    func yamlHints() throws {
        let tab = try #require(ConfigurationTesting.error("version: 1\nenvironments:\n\tdev: {}\n"))
        #expect(tab.message.contains("found character that cannot start any token"), "\(tab)")
        #expect(tab.hint == "YAML does not allow tabs for indentation; indent with spaces.")
        let indentation = try #require(ConfigurationTesting.error("version: 1\nenvironments:\n  dev:\n    projects: {}\n   x: 1\n"))
        #expect(indentation.hint?.contains("indentation") == true, "\(indentation)")
    }
}
