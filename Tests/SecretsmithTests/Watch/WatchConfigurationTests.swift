import Foundation
import Testing
@testable import Secretsmith

/// The `watch:` section (defaults and environments) and the outputs' `on_change:`.
@Suite struct WatchConfigurationTests {
    static let layered = """
        version: 1
        defaults:
          watch:
            subscription: projects/acme-ops/subscriptions/secretsmith
            poll_interval: 2m
            debounce: 1s
            child: { on_change: restart, grace_period: 5s }
        environments:
          dev:
            watch:
              poll_interval: "off"
              splay: 30s
              check_pinned: true
              child: { signal: usr1 }
            projects:
              p: { project_id: proj-one, secrets: { s: {} } }
          prod:
            watch:
              subscription: "off"
            projects:
              p: { project_id: proj-two, secrets: { s: {} } }
        outputs:
          - name: app
            format: dotenv
            path: app.env
            values: { S: dev/p/s }
            on_change: { command: [systemctl, reload, "nginx"], timeout: 5s }
          - name: plain
            format: dotenv
            path: plain.env
            values: { S: dev/p/s }
        """

    @Test func eachKeyComesFromTheNearestLayerWithItsOrigin() throws {
        let configuration = try ConfigurationTesting.parse(Self.layered)
        let dev = try #require(configuration.settings(forEnvironment: "dev"))
        #expect(dev.watch.subscription == "projects/acme-ops/subscriptions/secretsmith")
        #expect(dev.watch.pollInterval == nil)
        #expect(dev.watch.debounce == .seconds(1))
        #expect(dev.watch.splay == .seconds(30))
        #expect(dev.watch.checkPinned)
        #expect(dev.watch.childOnChange == .restart)
        #expect(dev.watch.childSignal == SIGUSR1)
        #expect(dev.watch.childGracePeriod == .seconds(5))
        #expect(dev.origins["watch.subscription"] == .global)
        #expect(dev.origins["watch.poll_interval"] == .environment)
        #expect(dev.origins["watch.child.signal"] == .environment)
        #expect(dev.origins["watch.child.stop_signal"] == .builtIn)

        let prod = try #require(configuration.settings(forEnvironment: "prod"))
        #expect(prod.watch.subscription == nil)
        #expect(prod.watch.pollInterval == .seconds(120))
        #expect(prod.watch.effectivePollJitter == .seconds(12))

        let defaults = WatchSettings()
        #expect(defaults.subscription == nil)
        #expect(defaults.pollInterval == .seconds(300))
        #expect(defaults.childOnChange == .signal && defaults.childSignal == SIGHUP)
        #expect(defaults.childStopSignal == SIGTERM)
    }

    @Test func onChangeIsAnArgvWithATimeout() throws {
        let configuration = try ConfigurationTesting.parse(Self.layered)
        #expect(
            configuration.output(named: "app")?.onChange
                == OutputChangeCommand(argv: ["systemctl", "reload", "nginx"], timeout: .seconds(5)))
        #expect(configuration.output(named: "plain")?.onChange == nil)
    }

    @Test func anUnknownWatchKeyIsAPositionedErrorWithASuggestion() throws {
        let error = try #require(
            ConfigurationTesting.error(
                """
                version: 1
                defaults:
                  watch:
                    poll_intervall: 1m
                environments: {}
                """))
        let text = "\(error)"
        #expect(text.contains("secretsmith.yaml:4:5"), "\(text)")
        #expect(text.contains("defaults.watch.poll_intervall"), "\(text)")
        #expect(text.contains("poll_interval"), "\(text)")
    }

    @Test func watchIsNotASettingOfAProject() throws {
        let error = try #require(
            ConfigurationTesting.error(
                ConfigurationTesting.minimal(devBody: """
                        projects:
                          p: { project_id: proj-one, watch: { debounce: 1s } }
                    """)))
        #expect("\(error)".contains("it is not a setting of a project"), "\(error)")
    }

    @Test(arguments: [
        ("subscription: secretsmith", "not a Pub/Sub subscription name"),
        ("subscription: projects/p/topics/t", "not a Pub/Sub subscription name"),
        ("subscription: projects/acme-ops/subscriptions/ab", "3 to 255 characters"),
        ("subscription: projects/acme-ops/subscriptions/goog-sub", "not starting with goog"),
        ("subscription: projects/acme-ops/subscriptions/9sub", "starting with a letter"),
        ("poll_interval: 500ms", "at least 1s"),
        ("debounce: soon", "not a duration"),
        ("child: { on_change: reboot }", "not a child reaction"),
        ("child: { signal: SIGFOO }", "not a signal name"),
        ("child: { stop: SIGTERM }", "Unknown key \"stop\""),
    ])
    func invalidValuesAreRefusedAtTheirKey(_ line: String, _ expected: String) throws {
        let error = try #require(
            ConfigurationTesting.error(
                """
                version: 1
                defaults:
                  watch:
                    \(line)
                environments: {}
                """))
        #expect("\(error)".contains(expected), "\(error)")
        #expect("\(error)".contains("secretsmith.yaml:4:"), "\(error)")
    }

    @Test(arguments: [
        ("on_change: { command: \"systemctl reload nginx\" }", "must be a list"),
        ("on_change: { command: [] }", "Command is empty"),
        ("on_change: { timeout: 5s }", "needs \"command\""),
        ("on_change: systemctl reload nginx", "a mapping with command (and optionally timeout)"),
        ("on_change: { command: [x], shell: true }", "Unknown key \"shell\""),
    ])
    func invalidOnChangeIsRefused(_ line: String, _ expected: String) throws {
        let error = try #require(
            ConfigurationTesting.error(
                """
                version: 1
                environments:
                  dev:
                    projects:
                      p: { project_id: proj-one, secrets: { s: {} } }
                outputs:
                  - name: app
                    format: dotenv
                    path: app.env
                    values: { S: dev/p/s }
                    \(line)
                """))
        #expect("\(error)".contains(expected), "\(error)")
        #expect("\(error)".contains("secretsmith.yaml:11:"), "\(error)")
    }
}
