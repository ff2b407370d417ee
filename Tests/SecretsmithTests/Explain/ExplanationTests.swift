@testable import Secretsmith
import Testing

/// `explain` names the layer of every setting.
@Suite struct ExplanationTests {
    static let configuration = """
        version: 1
        defaults:
          timeout: 11s
          retry: { max_attempts: 4 }
          deadline: 40s
        environments:
          dev:
            timeout: 12s
            file_mode: "0640"
            projects:
              p1:
                project_id: proj-one
                timeout: 13s
                location: europe-west1
                secrets:
                  s: { timeout: 14s, version: "3", secret_id: s_id }
                  t: {}
              p2:
                project_id: proj-two
                credentials: { type: access_token_env, env: TOKEN }
                secrets:
                  u: {}
          prod:
            projects:
              p:
                project_id: proj-prod
                secrets:
                  x: {}
        outputs:
          - { name: env, format: dotenv, path: out/app.env, values: { S: p1/s, T: p1/t } }
          - { name: j, format: json, path: out/j.json, mode: "0600", values: { s: p1/s } }
        """

    func explain(
        _ reference: String, active: String? = "dev", layer: SettingLayer = .commandLine,
        environment: [String: String] = [:], deadline: Duration? = nil
    ) throws -> Explanation {
        let configuration = try Configuration.parse(
            Array(Self.configuration.utf8), file: "/tmp/x/secretsmith.yaml", environment: [:], directory: "/tmp/x")
        return try Explanation.make(
            reference: reference, configuration: configuration,
            context: .init(
                activeEnvironment: active, activeEnvironmentLayer: layer, processEnvironment: environment,
                commandLineDeadline: deadline))
    }

    @Test func aSettingOverriddenAtEachOfTheFourLevelsShowsThatLevel() throws {
        let cases: [(String, String, String)] = [
            ("p1/s", "14s", "secret"), ("p1/t", "13s", "project"), ("p2/u", "12s", "environment"),
            ("prod/p/x", "11s", "global"),
        ]
        for (reference, value, layer) in cases {
            let active: String? = reference.hasPrefix("prod/") ? nil : "dev"
            let row = try explain(reference, active: active).row("timeout")
            #expect(row?.value == value, "\(reference)")
            #expect(row?.layer == layer, "\(reference)")
        }
        let prod = try explain("prod/p/x", active: nil)
        #expect(prod.row("retry.max_attempts")?.layer == "global")
        #expect(prod.row("retry.max_backoff")?.value == "10s")
        #expect(prod.row("retry.max_backoff")?.layer == "default")
        #expect(prod.row("environment")?.layer == "reference")
    }

    @Test func resourceVersionLocationAndEndpointComeFromTheirLayers() throws {
        let s = try explain("p1/s")
        #expect(s.resource == "projects/proj-one/locations/europe-west1/secrets/s_id/versions/3")
        #expect(s.row("version")?.value == "3")
        #expect(s.row("version")?.layer == "secret")
        #expect(s.row("secret_id")?.layer == "secret")
        #expect(s.row("project_id")?.layer == "project")
        #expect(s.row("location")?.layer == "project")
        #expect(s.row("endpoint")?.value == "https://secretmanager.europe-west1.rep.googleapis.com")
        #expect(s.row("endpoint")?.layer == "project")
        #expect(s.row("credentials")?.value == "adc")
        #expect(s.row("credentials")?.layer == "default")
        #expect(s.row("deadline")?.value == "40s")
        #expect(s.row("deadline")?.layer == "global")
        #expect(s.row("environment")?.layer == "command line")

        let pinned = try explain("p1/s@5", layer: .environmentVariable)
        #expect(pinned.row("version")?.value == "5")
        #expect(pinned.row("version")?.layer == "reference")
        #expect(pinned.row("environment")?.layer == "environment variable")

        let u = try explain("p2/u", deadline: .seconds(5))
        #expect(u.row("credentials")?.value == "access_token_env (env TOKEN)")
        #expect(u.row("credentials")?.layer == "project")
        #expect(u.row("deadline")?.value == "5s")
        #expect(u.row("deadline")?.layer == "command line")
    }

    @Test func theEmulatorVariableOverridesEndpointAndCredentials() throws {
        let s = try explain("p1/s", environment: ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:8085"])
        #expect(s.row("endpoint")?.value.hasPrefix("http://127.0.0.1:8085") == true)
        #expect(s.row("endpoint")?.layer == "environment variable")
        #expect(s.row("credentials")?.value.hasPrefix("none") == true)
        #expect(s.row("credentials")?.layer == "environment variable")
    }

    @Test func listsTheOutputsThatReadTheVersionWithTheirModes() throws {
        let s = try explain("p1/s")
        #expect(s.outputs.map(\.name) == ["env", "j"])
        #expect(s.outputs.map(\.key) == ["S", "s"])
        #expect(s.outputs.map(\.mode) == ["0640", "0600"])
        #expect(s.outputs.map(\.modeLayer) == ["environment", "output"])
        #expect(s.row("file_mode")?.value == "0640")
        #expect(try explain("p2/u").outputs.isEmpty)
        #expect(s.text.contains("timeout" + String(repeating: " ", count: 33) + "14s"))  // keys padded to the longest, circuit_breaker.failure_rate_threshold
    }

    static func parse(_ text: String) throws -> Configuration {
        try Configuration.parse(Array(text.utf8), file: "/tmp/x/secretsmith.yaml", environment: [:], directory: "/tmp/x")
    }

    /// Explains references of the configuration `text` without an active environment.
    static func explainer(_ text: String) throws -> (String) throws -> Explanation {
        let configuration = try parse(text)
        return { reference in
            try Explanation.make(
                reference: reference, configuration: configuration,
                context: .init(activeEnvironment: nil, activeEnvironmentLayer: .commandLine, processEnvironment: [:]))
        }
    }

    @Test func watchSettingsShowTheirValuesAndLayers() throws {
        let text = """
            version: 1
            defaults:
              watch: { poll_interval: 2m, splay: 5s, child: { on_change: restart } }
            environments:
              dev:
                watch: { subscription: projects/ops-one/subscriptions/sm-events, child: { signal: SIGUSR1 } }
                projects: { p: { project_id: proj-dev, secrets: { s: {} } } }
              prod:
                watch: { poll_interval: off }
                projects: { p: { project_id: proj-prod, secrets: { s: {} } } }
            """
        let explain = try Self.explainer(text)
        let dev = try explain("dev/p/s")
        #expect(dev.row("watch.subscription")?.value == "projects/ops-one/subscriptions/sm-events")
        #expect(dev.row("watch.subscription")?.layer == "environment")
        #expect(dev.row("watch.poll_interval")?.value == "2m")
        #expect(dev.row("watch.poll_interval")?.layer == "global")
        #expect(dev.row("watch.poll_jitter")?.value == "12s (a tenth of the interval)")
        #expect(dev.row("watch.poll_jitter")?.layer == "default")
        #expect(dev.row("watch.splay")?.value == "5s")
        #expect(dev.row("watch.child.on_change")?.value == "restart")
        #expect(dev.row("watch.child.signal")?.value == "SIGUSR1")
        #expect(dev.row("watch.child.signal")?.layer == "environment")
        #expect(dev.row("watch.child.stop_signal")?.value == "SIGTERM")
        #expect(dev.row("watch.child.grace_period")?.value == "10s")
        let prod = try explain("prod/p/s")
        #expect(prod.row("watch.subscription")?.value == "off (polling only)")
        #expect(prod.row("watch.poll_interval")?.value == "off")
        #expect(prod.row("watch.poll_interval")?.layer == "environment")
        #expect(prod.row("watch.poll_jitter")?.value == "0s")
        #expect(prod.row("watch.child.signal")?.value == "SIGHUP")
    }

    @Test func concurrencyAndDeadlineAreTheOnesTheSecretsEnvironmentApplies() throws {
        let text = """
            version: 1
            defaults: { concurrency: 8, deadline: 40s }
            environments:
              dev:
                concurrency: 3
                deadline: 20s
                projects: { p: { project_id: proj-dev, secrets: { s: {} } } }
              prod:
                projects: { p: { project_id: proj-prod, secrets: { s: {} } } }
            """
        let configuration = try Self.parse(text)
        let explain = try Self.explainer(text)
        // The manager bounds dev's calls by dev's own setting; explain shows the same value.
        let dev = try explain("dev/p/s")
        #expect(dev.row("concurrency") == .init(setting: "concurrency", value: "3", layer: "environment"))
        #expect(dev.row("deadline") == .init(setting: "deadline", value: "20s", layer: "environment"))
        let resolved = try configuration.resolve(SecretReference.parse("dev/p/s"), activeEnvironment: nil)
        #expect(resolved.concurrency == 3 && resolved.settings.deadline == .seconds(20))
        let prod = try explain("prod/p/s")
        #expect(prod.row("concurrency") == .init(setting: "concurrency", value: "8", layer: "global"))
        #expect(prod.row("deadline") == .init(setting: "deadline", value: "40s", layer: "global"))
    }

    @Test func anInvalidReferenceIsAConfigurationError() {
        #expect(throws: ConfigurationError.self) { _ = try explain("p1/nope") }
        #expect(throws: ReferenceError.self) { _ = try explain("nope") }
    }

    @Test func manyKeysReadingOneVersionAreListedOnceEachWithinAGenerousBound() throws {
        // 20,000 keys of one output read one version. Listing them compared every use
        // with every earlier one (20 s in a debug build); a set makes it linear. The
        // bound is a correctness bound with two orders of magnitude of slack.
        let count = 20_000
        var text = "version: 1\nenvironments:\n  dev:\n    projects:\n      app:\n        project_id: acme-app-dev\n"
            + "        allow_undeclared: true\noutputs:\n  - name: env\n    format: dotenv\n    path: out/app.env\n    values:\n"
        for n in 1...count { text += "      K\(n): app/s\n" }
        let configuration = try Configuration.parse(
            Array(text.utf8), file: "/tmp/x/secretsmith.yaml", environment: [:], directory: "/tmp/x")
        let clock = ContinuousClock()
        let start = clock.now
        let explanation = try Explanation.make(
            reference: "app/s", configuration: configuration,
            context: .init(activeEnvironment: "dev", activeEnvironmentLayer: .commandLine, processEnvironment: [:]))
        #expect(clock.now - start < .seconds(10))
        #expect(explanation.outputs.count == count)
        #expect(explanation.outputs.map(\.key) == (1...count).map { "K\($0)" })
    }
}
