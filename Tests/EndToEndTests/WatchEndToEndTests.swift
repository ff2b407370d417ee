import Foundation
import PubSubEmulatorHarness
import SecretsmithTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `secretsmith watch` with real processes: the built binary, its Secret Manager emulator
/// and Google's Pub/Sub emulator. Secret changes go through the emulator's REST API and are
/// announced by publishing Secret Manager's event notification, as Secret Manager does.
///
/// Every wait is bounded by a deadline only a hang reaches; nothing asserts speed.
@Suite(.serialized) struct WatchEndToEndTests {
    static let sentinel = CommandRunner.sentinel
    static let project = "acme-app-dev"
    static let projectNumber = 123_456_789_012
    static let topic = "projects/acme-ops/topics/secret-events"
    static let subscription = "projects/acme-ops/subscriptions/watch"

    func makeWorkspace(watch: String) throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: Self.project, number: Self.projectNumber, secret: "db", value: "one-\(Self.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              watch:
            \(watch)
            environments:
              dev:
                projects:
                  app:
                    project_id: \(Self.project)
                    secrets: { db: {} }
            outputs:
              - name: db
                format: dotenv
                path: out/db.env
                values: { DB: app/db }

            """)
        return (workspace, try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace))
    }

    func watch(in workspace: Workspace, emulator: EmulatorProcess, pubSubHost: String) throws -> BackgroundCommand {
        try BackgroundCommand(
            [
                "watch", "--env", "dev", "--log-level", "info", "--log-format", "json", "--metrics-file",
                workspace.path("watch.prom"),
            ],
            in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "PUBSUB_EMULATOR_HOST": pubSubHost])
    }

    // MARK: Secret Manager and Pub/Sub

    func addVersion(_ emulator: EmulatorProcess, _ value: String) throws {
        try emulator.request(
            "POST", "/v1/projects/\(Self.project)/secrets/db:addVersion",
            body: ["payload": ["data": Data(value.utf8).base64EncodedString()]])
    }

    func disable(_ emulator: EmulatorProcess, version: Int) throws {
        try emulator.request("POST", "/v1/projects/\(Self.project)/secrets/db/versions/\(version):disable", body: [:])
    }

    /// Secret Manager's notification of `type` for version `version` of db (project by number).
    static func event(_ type: String, version: Int, state: String = "ENABLED") -> [String: Any] {
        let secret = "projects/\(projectNumber)/secrets/db"
        let name = "\(secret)/versions/\(version)"
        let data = #"{"name":"\#(name)","createTime":"2026-12-01T19:00:00Z","state":"\#(state)"}"#
        return [
            "data": Data(data.utf8).base64EncodedString(),
            "attributes": [
                "eventType": type, "dataFormat": "JSON_API_V1", "secretId": secret, "versionId": name,
                "timestamp": "2026-12-01T19:00:00.000000Z",
            ],
        ]
    }

    static func pubSub(_ host: String, _ method: String, _ path: String, body: [String: Any]) throws {
        var request = URLRequest(url: URL(string: "http://\(host)/v1/\(path)")!)
        request.httpMethod = method
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var status = 0
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { _, response, error in
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
            failure = error
            semaphore.signal()
        }.resume()
        semaphore.wait()
        if let failure { throw failure }
        #expect(status == 200, "\(method) \(path)")
    }

    static func createSubscription(_ host: String) throws {
        try pubSub(host, "PUT", topic, body: [:])
        try pubSub(host, "PUT", subscription, body: ["topic": topic, "ackDeadlineSeconds": 10])
    }

    static func publish(_ host: String, _ messages: [[String: Any]]) throws {
        try pubSub(host, "POST", "\(topic):publish", body: ["messages": messages])
    }

    // MARK: Waiting and reading

    /// Polls `condition` until it holds or 60 s pass (a bound only a hang reaches).
    @discardableResult
    func eventually(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("waited 60 s for \(what)", sourceLocation: sourceLocation)
        return false
    }

    func file(_ workspace: Workspace) -> String {
        (try? String(contentsOfFile: workspace.path("out/db.env"), encoding: .utf8)) ?? ""
    }

    /// The value of one sample of the metrics file (`name{labels}` as written), or `nil`.
    func metric(_ workspace: Workspace, _ sample: String) -> Double? {
        let text = (try? String(contentsOfFile: workspace.path("watch.prom"), encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    func refreshes(_ workspace: Workspace) -> Double {
        ["changed", "unchanged", "failed"].compactMap { metric(workspace, "secretsmith_watch_refreshes_total{result=\"\($0)\"}") }
            .reduce(0, +)
    }

    func stop(_ command: BackgroundCommand, in workspace: Workspace) -> String {
        kill(command.pid, SIGTERM)
        let result = command.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.reason == .exit)
        // No temporary file is left beside the output.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workspace.path("out"))) ?? []
        #expect(names == ["db.env"])
        // A clean stop writes the run's final metrics (no warning that they could not be).
        #expect(!result.stderr.contains("could not be written"), "\(result.stderr)")
        #expect(metric(workspace, "secretsmith_run_exit_code{command=\"watch\"}") == 0)
        return result.stderr
    }

    // MARK: Tests

    @Test func eventsRotateTheFileABurstRefreshesOnceAndADisabledVersionLeavesItStale() async throws {
        let (workspace, emulator) = try makeWorkspace(
            watch: """
                    subscription: \(Self.subscription)
                    poll_interval: "off"
                    debounce: 500ms
                """)
        defer { workspace.remove() }
        try await withPubSubEmulator { host in
            try Self.createSubscription(host)
            let command = try watch(in: workspace, emulator: emulator, pubSubHost: host)
            eventually("the first render") { file(workspace).contains("one-") }
            eventually("the metrics file after the first render") {
                metric(workspace, "secretsmith_watch_output_stale{output=\"db\"}") == 0
            }

            // A new version, announced once: the file changes.
            try addVersion(emulator, "two-\(Self.sentinel)")
            try Self.publish(host, [Self.event("SECRET_VERSION_ADD", version: 2)])
            eventually("version 2 in the file") { file(workspace).contains("two-") }

            // A burst of 20 notifications of one change: one refresh.
            try addVersion(emulator, "three-\(Self.sentinel)")
            try Self.publish(host, Array(repeating: Self.event("SECRET_VERSION_ADD", version: 3), count: 20))
            eventually("version 3 in the file") { file(workspace).contains("three-") }
            eventually("20 more events counted") {
                (metric(workspace, "secretsmith_watch_events_total{type=\"SECRET_VERSION_ADD\"}") ?? 0) >= 21
            }
            eventually("the second refresh counted") { refreshes(workspace) >= 2 }
            eventually("version 3 in use") { metric(workspace, "secretsmith_watch_output_version{output=\"db\"}") == 3 }
            // Well past the debounce window: still one refresh for the burst.
            try await Task.sleep(for: .seconds(2))
            #expect(refreshes(workspace) == 2)

            // The version in use is disabled: the file stays, a warning, the metric says stale.
            try disable(emulator, version: 3)
            try Self.publish(host, [Self.event("SECRET_VERSION_DISABLE", version: 3, state: "DISABLED")])
            eventually("a failed refresh counted") {
                (metric(workspace, "secretsmith_watch_refreshes_total{result=\"failed\"}") ?? 0) >= 1
            }
            #expect(metric(workspace, "secretsmith_watch_output_stale{output=\"db\"}") == 1)
            #expect(file(workspace).contains("three-"))

            let stderr = stop(command, in: workspace)
            #expect(stderr.contains("refresh failed"))
            #expect(stderr.contains("FAILED_PRECONDITION") || stderr.contains("DISABLED"), "\(stderr)")
        }
    }

    @Test func pollingKeepsTheFileCurrentWhenPubSubIsGone() async throws {
        let (workspace, emulator) = try makeWorkspace(
            watch: """
                    subscription: \(Self.subscription)
                    poll_interval: 1s
                    poll_jitter: 0s
                    debounce: 100ms
                """)
        defer { workspace.remove() }
        let command = try await withPubSubEmulator { host in
            try Self.createSubscription(host)
            let command = try watch(in: workspace, emulator: emulator, pubSubHost: host)
            eventually("the first render") { file(workspace).contains("one-") }
            return command
        }
        // The Pub/Sub emulator is stopped now.
        try addVersion(emulator, "polled-\(Self.sentinel)")
        eventually("the polled version in the file") { file(workspace).contains("polled-") }
        eventually("a failed pull counted") {
            (metric(workspace, "secretsmith_watch_pubsub_pull_failures_total") ?? 0) >= 1
        }
        let stderr = stop(command, in: workspace)
        #expect(stderr.contains("pulling from Pub/Sub failed"))
        // Polling read metadata only: one access for the first render, one for the change.
        let stats = EmulatorStats(try emulator.stats())
        #expect(stats.accessCalls == 2, "\(stats.methods)")
        #expect(stats.getVersionCalls >= 1, "\(stats.methods)")
    }

    // MARK: Supervising a command

    /// A workspace whose `conf` template reads db (rotating) and whose `env` dotenv output
    /// reads static (the child's environment), and `app.sh`, which records every SIGHUP.
    ///
    /// - Parameter publishingTo: a Pub/Sub emulator the Secret Manager emulator publishes db's
    ///   event notifications to (db then has the topic), or `nil`.
    func makeChildWorkspace(watch: String, publishingTo pubSubHost: String? = nil) throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: Self.project, number: Self.projectNumber, secret: "db", value: "one-\(Self.sentinel)")
        seed.add(project: Self.project, number: Self.projectNumber, secret: "static", value: "static-\(Self.sentinel)")
        var seedText = seed.yaml
        if pubSubHost != nil {
            seedText = """
                projects:
                  \(Self.project):
                    number: \(Self.projectNumber)
                    secrets:
                      db:
                        versions: [ "one-\(Self.sentinel)" ]
                        topics: [ \(Self.topic) ]
                      static:
                        versions: [ "static-\(Self.sentinel)" ]

                """
        }
        try workspace.write("seed.yaml", seedText)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              watch:
            \(watch)
            environments:
              dev:
                projects:
                  app:
                    project_id: \(Self.project)
                    secrets: { db: {}, static: {} }
            outputs:
              - name: conf
                format: template
                template: conf.tmpl
                path: out/conf.txt
              - name: env
                format: dotenv
                path: out/env.env
                values: { STATIC: app/static }

            """)
        try workspace.write("conf.tmpl", "db=<< secret \"app/db\" >>\n")
        try workspace.write(
            "app.sh",
            """
            trap 'echo hup >> hups.txt' HUP
            trap 'echo term > term.txt; exit 0' TERM
            case "$STATIC" in static-*) echo yes > env-ok.txt ;; esac
            [ -f out/conf.txt ] && echo yes > conf-first.txt
            echo $$ > ready.txt
            [ -n "$EXIT_AT_ONCE" ] && exit "$EXIT_AT_ONCE"
            while :; do sleep 0.1; done

            """)
        let arguments = pubSubHost.map { ["--pubsub-emulator-host", $0] } ?? []
        return (workspace, try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace, extraArguments: arguments))
    }

    func lines(_ workspace: Workspace, _ name: String) -> Int {
        ((try? String(contentsOfFile: workspace.path(name), encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func theChildStartsAfterTheFirstRenderAndGetsOneSIGHUPPerChange() async throws {
        let (workspace, emulator) = try makeChildWorkspace(
            watch: """
                    subscription: \(Self.subscription)
                    poll_interval: "off"
                    debounce: 300ms
                """)
        defer { workspace.remove() }
        try await withPubSubEmulator { host in
            try Self.createSubscription(host)
            let command = try BackgroundCommand(
                ["watch", "--env", "dev", "--log-level", "info", "--", "/bin/sh", "app.sh"], in: workspace,
                environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "PUBSUB_EMULATOR_HOST": host])
            #expect(command.waitFor(file: workspace.path("ready.txt")))
            #expect(workspace.exists("conf-first.txt"), "the child started before the first render")
            #expect(workspace.exists("env-ok.txt"), "the env output is not in the child's environment")
            #expect(!workspace.exists("out/env.env"), "an output feeding the child's environment was written")

            try addVersion(emulator, "two-\(Self.sentinel)")
            try Self.publish(host, Array(repeating: Self.event("SECRET_VERSION_ADD", version: 2), count: 5))
            eventually("version 2 in the file") {
                ((try? String(contentsOfFile: workspace.path("out/conf.txt"), encoding: .utf8)) ?? "").contains("two-")
            }
            eventually("a SIGHUP") { lines(workspace, "hups.txt") >= 1 }
            try await Task.sleep(for: .seconds(2))
            #expect(lines(workspace, "hups.txt") == 1)

            // SIGTERM reaches the child, which exits 0: so does watch.
            kill(command.pid, SIGTERM)
            let result = command.wait()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(workspace.exists("term.txt"))
        }
    }

    @Test func aChildThatExitsOnItsOwnEndsWatchWithItsStatus() throws {
        let (workspace, emulator) = try makeChildWorkspace(watch: "    poll_interval: 1m")
        defer { workspace.remove() }
        let command = try BackgroundCommand(
            ["watch", "--env", "dev", "--", "/bin/sh", "app.sh"], in: workspace,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "EXIT_AT_ONCE": "3"])
        let result = command.wait()
        #expect(result.status == 3, "\(result.stderr)")
        #expect(workspace.exists("ready.txt"))
    }

    @Test func theEmulatorsOwnEventsReloadTheChildOnceAndADisabledVersionIsStale() async throws {
        try await withPubSubEmulator { host in
            try Self.createSubscription(host)
            let (workspace, emulator) = try makeChildWorkspace(
                watch: """
                        subscription: \(Self.subscription)
                        poll_interval: "off"
                        debounce: 300ms
                    """, publishingTo: host)
            defer { workspace.remove() }
            let command = try BackgroundCommand(
                [
                    "watch", "--env", "dev", "--log-level", "info", "--metrics-file", workspace.path("watch.prom"),
                    "--", "/bin/sh", "app.sh",
                ], in: workspace,
                environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "PUBSUB_EMULATOR_HOST": host])
            #expect(command.waitFor(file: workspace.path("ready.txt")))
            let conf = { (try? String(contentsOfFile: workspace.path("out/conf.txt"), encoding: .utf8)) ?? "" }

            // A new version: the emulator publishes SECRET_VERSION_ADD itself.
            try addVersion(emulator, "two-\(Self.sentinel)")
            eventually("version 2 in the file") { conf().contains("two-") }
            eventually("a SIGHUP") { lines(workspace, "hups.txt") >= 1 }
            try await Task.sleep(for: .seconds(2))
            #expect(lines(workspace, "hups.txt") == 1)

            // The version in use disabled: the file and the child stay, the metric says stale.
            try disable(emulator, version: 2)
            eventually("a failed refresh counted") {
                (metric(workspace, "secretsmith_watch_refreshes_total{result=\"failed\"}") ?? 0) >= 1
            }
            #expect(metric(workspace, "secretsmith_watch_output_stale{output=\"conf\"}") == 1)
            #expect(conf().contains("two-"))
            #expect(lines(workspace, "hups.txt") == 1)
            #expect(command.process.isRunning)

            kill(command.pid, SIGTERM)
            let result = command.wait()
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("refresh failed"))
        }
    }
}
