import Foundation
import InMemoryLogging
import Logging
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// A secret's `topics` and `rotation` fields (create, patch, get, list), checked as Secret
/// Manager checks them; rotation schedules fired on the emulator's clock; and what happens
/// without a Pub/Sub emulator or with one that is not there.
@Suite struct TopicsAndRotationTests {
    static let project = "/v1/projects/acme-billing-dev"
    static let topic = "projects/acme-billing-dev/topics/secret-events"

    /// An emulator over the standard seed (plus `extra` secrets in acme-billing-dev) with
    /// `configuration`, and a harness over it.
    static func with<T>(
        configuration: EmulatorConfiguration = EmulatorConfiguration(rotationCheckInterval: nil),
        extra: [EmulatorSeed.Secret] = [],
        _ body: (EmulatorHarness) async throws -> T
    ) async throws -> T {
        var seed = EmulatorHarness.standardSeed
        if let index = seed.projects.firstIndex(where: { $0.id == "acme-billing-dev" }) {
            seed.projects[index].secrets += extra
        }
        let emulator = SecretManagerEmulator(seed: seed, configuration: configuration)
        let port = try await emulator.start()
        return try await EmulatorHarness.with(started: emulator, port: port, body)
    }

    /// RFC 3339 (whole seconds, UTC) of `date`.
    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    @Test func createStoresTopicsAndRotationAndGetAndListReturnThem() async throws {
        try await Self.with { harness in
            let next = Self.rfc3339(Date().addingTimeInterval(7200))
            let body = #"""
                {"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}],
                 "rotation":{"nextRotationTime":"\#(next)","rotationPeriod":"86400s"}}
                """#
            let created = try await harness.send("POST", "\(Self.project)/secrets?secretId=rotating", body: body)
            #expect(created.status == 200, "\(created.text)")
            let object = try created.json()
            #expect(object["topics"] as? [[String: String]] == [["name": Self.topic]])
            let rotation = try #require(object["rotation"] as? [String: String])
            #expect(rotation == ["nextRotationTime": next, "rotationPeriod": "86400s"])

            let read = try await harness.send("GET", "\(Self.project)/secrets/rotating").json()
            #expect(read["topics"] as? [[String: String]] == [["name": Self.topic]])
            #expect(read["rotation"] as? [String: String] == rotation)
            let listed = try await harness.send("GET", "\(Self.project)/secrets?filter=name:rotating").json()
            let secrets = try #require(listed["secrets"] as? [[String: Any]])
            #expect(secrets.first?["rotation"] as? [String: String] == rotation)
        }
    }

    @Test func patchSetsAndClearsTopicsAndRotationByMask() async throws {
        try await Self.with { harness in
            let secret = "\(Self.project)/secrets/api-key"
            let other = "projects/acme-billing-dev/topics/other-events"
            let topics = try await harness.send(
                "PATCH", "\(secret)?updateMask=topics",
                body: #"{"topics":[{"name":"\#(Self.topic)"},{"name":"\#(other)"}]}"#)
            #expect(topics.status == 200, "\(topics.text)")
            #expect((try topics.json()["topics"] as? [[String: String]])?.count == 2)

            let next = Self.rfc3339(Date().addingTimeInterval(3600))
            let rotation = try await harness.send(
                "PATCH", "\(secret)?updateMask=rotation.next_rotation_time,rotation.rotation_period",
                body: #"{"rotation":{"nextRotationTime":"\#(next)","rotationPeriod":"3600s"}}"#)
            #expect(rotation.status == 200, "\(rotation.text)")
            #expect(try rotation.json()["rotation"] as? [String: String] == ["nextRotationTime": next, "rotationPeriod": "3600s"])

            // Only the period: the time stays.
            let period = try await harness.send(
                "PATCH", "\(secret)?updateMask=rotation.rotation_period", body: #"{"rotation":{"rotationPeriod":"7200s"}}"#)
            #expect(try period.json()["rotation"] as? [String: String] == ["nextRotationTime": next, "rotationPeriod": "7200s"])

            // Topics cannot go while a schedule needs them.
            let orphan = try await harness.send("PATCH", "\(secret)?updateMask=topics", body: "{}")
            #expect(orphan.errorStatus == "INVALID_ARGUMENT", "\(orphan.text)")

            let cleared = try await harness.send("PATCH", "\(secret)?updateMask=rotation,topics", body: "{}")
            #expect(cleared.status == 200, "\(cleared.text)")
            let object = try cleared.json()
            #expect(object["rotation"] == nil)
            #expect(object["topics"] == nil)
        }
    }

    @Test(arguments: [
        // A malformed topic name, and one starting with "goog".
        #"{"replication":{"automatic":{}},"topics":[{"name":"topics/secret-events"}]}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/goog-events"}]}"#,
        #"{"replication":{"automatic":{}},"topics":["projects/acme-billing-dev/topics/secret-events"]}"#,
        // Eleven topics.
        #"{"replication":{"automatic":{}},"topics":[\#((1...11).map { #"{"name":"projects/p-1/topics/t\#($0)xx"}"# }.joined(separator: ","))]}"#,
        // Rotation without topics; a period without a time; periods out of bounds; a time too soon.
        #"{"replication":{"automatic":{}},"rotation":{"nextRotationTime":"2999-01-01T00:00:00Z"}}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/secret-events"}],"rotation":{"rotationPeriod":"3600s"}}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/secret-events"}],"rotation":{"nextRotationTime":"2099-01-01T00:00:00Z","rotationPeriod":"3599s"}}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/secret-events"}],"rotation":{"nextRotationTime":"2099-01-01T00:00:00Z","rotationPeriod":"3153600001s"}}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/secret-events"}],"rotation":{"nextRotationTime":"2099-01-01T00:00:00Z","rotationPeriod":"3600.5s"}}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/secret-events"}],"rotation":{"nextRotationTime":"2020-01-01T00:00:00Z"}}"#,
        #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/secret-events"}],"rotation":{"nextRotationTime":"soon"}}"#,
    ])
    func createRefusesWhatSecretManagerRefuses(body: String) async throws {
        try await Self.with { harness in
            let answer = try await harness.send("POST", "\(Self.project)/secrets?secretId=refused", body: body)
            #expect(answer.status == 400, "\(answer.text)")
            #expect(answer.errorStatus == "INVALID_ARGUMENT")
            #expect(try await harness.send("GET", "\(Self.project)/secrets/refused").status == 404)
        }
    }

    @Test func aNextRotationTimeUnderFiveMinutesAheadIsRefused() async throws {
        try await Self.with { harness in
            let soon = Self.rfc3339(Date().addingTimeInterval(120))
            let body = #"{"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}],"rotation":{"nextRotationTime":"\#(soon)"}}"#
            let answer = try await harness.send("POST", "\(Self.project)/secrets?secretId=too-soon", body: body)
            #expect(answer.errorStatus == "INVALID_ARGUMENT", "\(answer.text)")
        }
    }

    @Test func dueRotationsAdvanceByThePeriodOrEndOnTheEmulatorsClock() async throws {
        try await Self.with { harness in
            let start = Date()
            let periodic = Self.rfc3339(start.addingTimeInterval(600))
            let once = Self.rfc3339(start.addingTimeInterval(900))
            for (id, rotation) in [
                ("periodic", #"{"nextRotationTime":"\#(periodic)","rotationPeriod":"3600s"}"#),
                ("once", #"{"nextRotationTime":"\#(once)"}"#),
            ] {
                let body = #"{"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}],"rotation":\#(rotation)}"#
                #expect(try await harness.send("POST", "\(Self.project)/secrets?secretId=\(id)", body: body).status == 200)
            }
            // Nothing is due yet.
            let none = try await harness.send("POST", "/_emulator/rotations:run")
            #expect(none.status == 200, "\(none.text)")
            #expect(try none.json()["rotated"] as? [String] == [])

            let advanced = try await harness.send("POST", "/_emulator/clock", body: #"{"advance":"1000s"}"#)
            #expect(advanced.status == 200, "\(advanced.text)")
            #expect(try advanced.json()["offsetSeconds"] as? Double == 1000)
            let clock = try await harness.send("GET", "/_emulator/clock").json()
            let now = try #require(Self.date(clock["now"] as? String))
            #expect(now.timeIntervalSince(start) >= 1000)

            let fired = try await harness.send("POST", "/_emulator/rotations:run").json()
            #expect(fired["rotated"] as? [String] == [
                "projects/\(EmulatorHarness.acmeNumber)/secrets/periodic", "projects/\(EmulatorHarness.acmeNumber)/secrets/once",
            ])
            let periodicNow = try await harness.send("GET", "\(Self.project)/secrets/periodic").json()
            #expect(periodicNow["rotation"] as? [String: String] == [
                "nextRotationTime": Self.rfc3339(start.addingTimeInterval(600 + 3600)), "rotationPeriod": "3600s",
            ])
            let onceNow = try await harness.send("GET", "\(Self.project)/secrets/once").json()
            #expect(onceNow["rotation"] == nil, "a one-time schedule ends after it fired")
            #expect(try await harness.send("POST", "/_emulator/rotations:run").json()["rotated"] as? [String] == [])

            #expect(try await harness.send("POST", "/_emulator/clock", body: #"{"advance":"-5s"}"#).status == 400)
        }
    }

    @Test func theBackgroundCheckFiresADueRotationAndStopsWithTheEmulator() async throws {
        let seeded = EmulatorSeed.Secret(
            id: "due", versions: [.init(payload: Array("due-\(StandardSeed.sentinel)".utf8))], topics: [Self.topic],
            rotation: .init(nextRotationTime: Date().addingTimeInterval(-30), rotationPeriod: .seconds(3600)))
        let configuration = EmulatorConfiguration(rotationCheckInterval: .milliseconds(50))
        try await Self.with(configuration: configuration, extra: [seeded]) { harness in
            // Bounded: 50 ms checks, up to 30 s on a loaded machine.
            var rotation: [String: String]?
            for _ in 0..<300 {
                rotation = try await harness.send("GET", "\(Self.project)/secrets/due").json()["rotation"] as? [String: String]
                if let next = Self.date(rotation?["nextRotationTime"]), next > Date() { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let next = try #require(Self.date(rotation?["nextRotationTime"]))
            #expect(next > Date(), "advanced past now by the 1 h period")
            #expect(next < Date().addingTimeInterval(3600))
            await harness.emulator.stop()
            #expect(await harness.emulator.port == nil)
        }
    }

    @Test func withoutAPubSubHostChangesSucceedAndNothingIsPublished() async throws {
        try await Self.with { harness in
            let body = #"{"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}]}"#
            #expect(try await harness.send("POST", "\(Self.project)/secrets?secretId=quiet", body: body).status == 200)
            let added = try await harness.send(
                "POST", "\(Self.project)/secrets/quiet:addVersion", body: #"{"payload":{"data":"c2VjcmV0"}}"#)
            #expect(added.status == 200)
            let stats = await harness.emulator.stats()
            #expect(stats.eventsPublished.isEmpty)
            #expect(stats.eventsFailed.isEmpty)
        }
    }

    @Test func anUnreachablePubSubEmulatorCountsFailuresAndTheRequestStillSucceeds() async throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let configuration = EmulatorConfiguration(pubSubEmulatorHost: "127.0.0.1:1", rotationCheckInterval: nil)
        try await Self.with(configuration: configuration) { harness in
            let body = #"{"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}]}"#
            let created = try await harness.send("POST", "\(Self.project)/secrets?secretId=unheard", body: body)
            #expect(created.status == 200, "\(created.text)")
            let added = try await harness.send(
                "POST", "\(Self.project)/secrets/unheard:addVersion", body: #"{"payload":{"data":"c2VjcmV0"}}"#)
            #expect(added.status == 200)
            let stats = try await harness.send("GET", "/_emulator/stats").json()
            #expect(stats["eventsFailed"] as? [String: Int] == [
                "TOPIC_CONFIGURED": 1, "SECRET_CREATE": 1, "SECRET_VERSION_ADD": 1,
            ])
            #expect(stats["eventsPublished"] as? [String: Int] == [:])
        }
    }

    @Test func theLogSaysOnceWhetherEventsArePublishedAndNamesFailuresWithoutValues() async throws {
        for host in [nil, "127.0.0.1:1"] {
            let handler = InMemoryLogHandler()
            var logger = Logger(label: "test") { _ in handler }
            logger.logLevel = .debug
            let emulator = SecretManagerEmulator(
                seed: EmulatorHarness.standardSeed,
                configuration: EmulatorConfiguration(pubSubEmulatorHost: host, rotationCheckInterval: nil), logger: logger)
            let port = try await emulator.start()
            try await EmulatorHarness.with(started: emulator, port: port) { harness in
                let body = #"{"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}]}"#
                #expect(try await harness.send("POST", "\(Self.project)/secrets?secretId=logged", body: body).status == 200)
                let payload = Data("logged-\(StandardSeed.sentinel)".utf8).base64EncodedString()
                let added = try await harness.send(
                    "POST", "\(Self.project)/secrets/logged:addVersion", body: #"{"payload":{"data":"\#(payload)"}}"#)
                #expect(added.status == 200)
            }
            let entries = handler.entries
            let lines = entries.map { "\($0.level) \($0.message) \($0.metadata)" }
            #expect(!lines.contains { $0.contains(StandardSeed.sentinel) }, "a value in the log: \(lines)")
            if host == nil {
                #expect(entries.filter { "\($0.message)".contains("No Pub/Sub emulator host") }.count == 1, "\(lines)")
            } else {
                #expect(entries.filter { "\($0.message)".contains("Publishing event notifications") }.count == 1, "\(lines)")
                let failures = entries.filter { $0.level == .warning && "\($0.message)" == "event notification not published" }
                #expect(failures.compactMap { $0.metadata["emulator.event_type"].map { "\($0)" } } == [
                    "TOPIC_CONFIGURED", "SECRET_CREATE", "SECRET_VERSION_ADD",
                ])
                #expect(failures.allSatisfy { $0.metadata["emulator.topic"].map { "\($0)" } == Self.topic })
            }
        }
    }

    @Test func anInvalidPubSubHostIsALifecycleError() async throws {
        let emulator = SecretManagerEmulator(configuration: EmulatorConfiguration(pubSubEmulatorHost: "not a host"))
        await #expect(throws: SecretManagerEmulator.LifecycleError.self) { _ = try await emulator.start() }
        #expect(await emulator.port == nil)
    }
}
