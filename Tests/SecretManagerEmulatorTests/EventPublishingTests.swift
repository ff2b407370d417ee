import Foundation
import Logging
import PubSubEmulatorHarness
import SecretManagerEmulator
import Secretsmith
import SecretsmithTestSupport
import Testing

/// The emulator's event notifications, published to Google's own Pub/Sub emulator (a real
/// peer, over loopback) and pulled back: the attributes and data Secret Manager sends, read
/// by the library's `SecretEvent` as the watch loop reads them.
///
/// Serialized: each test starts its own Pub/Sub emulator (a JVM).
@Suite(.serialized) struct EventPublishingTests {
    static let sentinel = StandardSeed.sentinel
    static let project = "/v1/projects/acme-billing-dev"
    static let number = EmulatorHarness.acmeNumber
    static let topic = "projects/acme-billing-dev/topics/secret-events"
    static let auditTopic = "projects/acme-ops/topics/audit"
    static let subscription = "projects/acme-billing-dev/subscriptions/watcher"
    static let auditSubscription = "projects/acme-ops/subscriptions/auditor"

    static func pubSub(host: String) throws -> PubSubClient {
        PubSubClient(
            httpClient: .shared, endpoint: try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": host]),
            tokenProvider: nil, logger: Logger(label: "test"),
            retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200)))
    }

    /// A Secret Manager emulator publishing to the Pub/Sub emulator at `host`.
    static func withSecretManager<T>(pubSubHost host: String, _ body: (EmulatorHarness) async throws -> T) async throws -> T {
        let emulator = SecretManagerEmulator(
            seed: EmulatorHarness.standardSeed,
            configuration: EmulatorConfiguration(pubSubEmulatorHost: host, rotationCheckInterval: nil))
        let port = try await emulator.start()
        return try await EmulatorHarness.with(started: emulator, port: port, body)
    }

    /// Pulls and acknowledges until `count` messages have arrived (at most 10 pulls).
    static func pull(_ client: PubSubClient, _ subscription: String, count: Int) async throws -> [PubSubMessage] {
        var messages: [PubSubMessage] = []
        for _ in 0..<10 where messages.count < count {
            let received = try await client.pull(subscription: subscription, maxMessages: 100, timeout: .seconds(30))
            messages += received.map(\.message)
            try await client.acknowledge(subscription: subscription, ackIDs: received.map(\.ackID))
        }
        return messages
    }

    /// A pull that gives up after a few seconds: what else is waiting (expected: nothing).
    static func leftovers(_ client: PubSubClient, _ subscription: String) async throws -> [PubSubMessage] {
        try await client.pull(subscription: subscription, maxMessages: 100, timeout: .seconds(3)).map(\.message)
    }

    static func secretPayload(_ text: String) -> String {
        #"{"payload":{"data":"\#(Data(text.utf8).base64EncodedString())"}}"#
    }

    @Test func everyChangeIsPublishedAsSecretManagersEventNotification() async throws {
        try await withPubSubEmulator { host in
            let pubSub = try Self.pubSub(host: host)
            try await pubSub.createTopic(Self.topic)
            try await pubSub.createSubscription(Self.subscription, topic: Self.topic, ackDeadlineSeconds: 120)
            try await pubSub.createTopic(Self.auditTopic)
            try await pubSub.createSubscription(Self.auditSubscription, topic: Self.auditTopic, ackDeadlineSeconds: 120)

            try await Self.withSecretManager(pubSubHost: host) { sm in
                let secret = "\(Self.project)/secrets/watched"
                let next = TopicsAndRotationTests.rfc3339(Date().addingTimeInterval(600))
                let create = #"""
                    {"replication":{"automatic":{}},"topics":[{"name":"\#(Self.topic)"}],
                     "rotation":{"nextRotationTime":"\#(next)","rotationPeriod":"3600s"}}
                    """#
                let steps: [(String, String, String?)] = [
                    ("POST", "\(Self.project)/secrets?secretId=watched", create),
                    ("POST", "\(secret):addVersion", Self.secretPayload("one-\(Self.sentinel)")),
                    ("POST", "\(secret):addVersion", Self.secretPayload("two-\(Self.sentinel)")),
                    ("POST", "\(secret)/versions/1:disable", nil),
                    ("POST", "\(secret)/versions/1:enable", nil),
                    ("PATCH", "\(secret)?updateMask=versionAliases", #"{"versionAliases":{"current":"2","previous":"1"}}"#),
                    ("POST", "\(secret)/versions/1:destroy", nil),
                    ("PATCH", "\(secret)?updateMask=topics", #"{"topics":[{"name":"\#(Self.topic)"},{"name":"\#(Self.auditTopic)"}]}"#),
                ]
                for (method, path, body) in steps {
                    let answer = try await sm.send(method, path, body: body)
                    #expect(answer.status == 200, "\(method) \(path): \(answer.text)")
                }
                // Reads publish nothing.
                #expect(try await sm.send("GET", secret).status == 200)
                #expect(try await sm.access("watched", "2").status == 200)
                #expect(try await sm.send("GET", "\(secret)/versions").status == 200)

                await sm.emulator.advanceClock(by: .seconds(1000))
                #expect(await sm.emulator.runDueRotations() == ["projects/\(Self.number)/secrets/watched"])
                #expect(try await sm.send("DELETE", secret).status == 200)

                let messages = try await Self.pull(pubSub, Self.subscription, count: 11)
                let audit = try await Self.pull(pubSub, Self.auditSubscription, count: 4)

                // Each message: Google's attributes, the resource after the change, no payload.
                let secretName = "projects/\(Self.number)/secrets/watched"
                for message in messages + audit {
                    let text = String(decoding: message.data, as: UTF8.self)
                    #expect(!text.contains(Self.sentinel), "a payload in \(text)")
                    #expect(!message.attributes.values.contains { $0.contains(Self.sentinel) })
                    #expect(!text.contains("payload"))
                    guard message.attributes["eventType"] != "TOPIC_CONFIGURED" else {
                        #expect(message.attributes == ["eventType": "TOPIC_CONFIGURED"])
                        #expect(message.data.isEmpty)
                        continue
                    }
                    #expect(message.attributes["dataFormat"] == "JSON_API_V1")
                    #expect(message.attributes["secretId"] == secretName)
                    #expect(message.attributes["timestamp"].flatMap(TopicsAndRotationTests.date) != nil)
                    let event = SecretEvent(message: message)
                    #expect(event.secret?.name == secretName)
                    if event.type.isVersionEvent {
                        #expect(message.attributes["versionId"] == "\(secretName)/versions/\(event.versionNumber ?? 0)")
                    } else {
                        #expect(message.attributes["versionId"] == nil)
                        let object = try JSONSerialization.jsonObject(with: Data(message.data)) as? [String: Any]
                        #expect(object?["name"] as? String == secretName)
                    }
                }

                let events = messages.map(SecretEvent.init(message:))
                let summary = events.map { "\($0.type.rawValue)\($0.versionNumber.map { " v\($0)" } ?? "")" }.sorted()
                #expect(summary == [
                    "SECRET_CREATE", "SECRET_DELETE", "SECRET_ROTATE", "SECRET_UPDATE", "SECRET_UPDATE",
                    "SECRET_VERSION_ADD v1", "SECRET_VERSION_ADD v2", "SECRET_VERSION_DESTROY v1",
                    "SECRET_VERSION_DISABLE v1", "SECRET_VERSION_ENABLE v1", "TOPIC_CONFIGURED",
                ].sorted())
                #expect(messages.count == 11)
                let states = Dictionary(
                    events.filter(\.type.isVersionEvent).map { ($0.type.rawValue + " v\($0.versionNumber ?? 0)", $0.versionState) },
                    uniquingKeysWith: { first, _ in first })
                #expect(states["SECRET_VERSION_ADD v2"] == .enabled)
                #expect(states["SECRET_VERSION_DISABLE v1"] == .disabled)
                #expect(states["SECRET_VERSION_ENABLE v1"] == .enabled)
                #expect(states["SECRET_VERSION_DESTROY v1"] == .destroyed)
                // The alias move: a SECRET_UPDATE whose data carries the aliases after it.
                #expect(events.contains { $0.type == .secretUpdate && $0.versionAliases == ["current": 2, "previous": 1] })
                #expect(events.filter(\.isRelevant).count == 9, "all but the test message and the rotation reminder")
                let rotate = try #require(messages.first { $0.attributes["eventType"] == "SECRET_ROTATE" })
                let rotated = try JSONSerialization.jsonObject(with: Data(rotate.data)) as? [String: Any]
                #expect((rotated?["rotation"] as? [String: String])?["rotationPeriod"] == "3600s")

                // The topic added later: its test message, then what happened after.
                #expect(audit.map { $0.attributes["eventType"] ?? "" }.sorted() == [
                    "SECRET_DELETE", "SECRET_ROTATE", "SECRET_UPDATE", "TOPIC_CONFIGURED",
                ])
                #expect(audit.count == 4)
                #expect(try await Self.leftovers(pubSub, Self.subscription).isEmpty, "reads published nothing")

                let stats = await sm.emulator.stats()
                #expect(stats.eventsPublished == [
                    "TOPIC_CONFIGURED": 2, "SECRET_CREATE": 1, "SECRET_VERSION_ADD": 2, "SECRET_VERSION_DISABLE": 1,
                    "SECRET_VERSION_ENABLE": 1, "SECRET_UPDATE": 3, "SECRET_VERSION_DESTROY": 1, "SECRET_ROTATE": 2,
                    "SECRET_DELETE": 2,
                ])
                #expect(stats.eventsFailed.isEmpty)
            }
        }
    }

    @Test func aTopicMissingOnPubSubIsACountedFailureNotAFailedRequest() async throws {
        try await withPubSubEmulator { host in
            try await Self.withSecretManager(pubSubHost: host) { sm in
                let body = #"{"replication":{"automatic":{}},"topics":[{"name":"projects/acme-billing-dev/topics/nowhere"}]}"#
                let created = try await sm.send("POST", "\(Self.project)/secrets?secretId=unheard", body: body)
                #expect(created.status == 200, "\(created.text)")
                let added = try await sm.send("POST", "\(Self.project)/secrets/unheard:addVersion", body: Self.secretPayload("x-\(Self.sentinel)"))
                #expect(added.status == 200, "\(added.text)")
                let stats = await sm.emulator.stats()
                #expect(stats.eventsFailed == ["TOPIC_CONFIGURED": 1, "SECRET_CREATE": 1, "SECRET_VERSION_ADD": 1])
                #expect(stats.eventsPublished.isEmpty)
            }
        }
    }

    @Test func aSeededRotationIsPublishedByTheBackgroundCheck() async throws {
        try await withPubSubEmulator { host in
            let pubSub = try Self.pubSub(host: host)
            try await pubSub.createTopic(Self.topic)
            try await pubSub.createSubscription(Self.subscription, topic: Self.topic, ackDeadlineSeconds: 120)
            var seed = EmulatorHarness.standardSeed
            let index = try #require(seed.projects.firstIndex { $0.id == "acme-billing-dev" })
            seed.projects[index].secrets.append(.init(
                id: "due", versions: [.init(payload: Array("due-\(Self.sentinel)".utf8))], topics: [Self.topic],
                rotation: .init(nextRotationTime: Date().addingTimeInterval(-1))))
            let emulator = SecretManagerEmulator(
                seed: seed,
                configuration: EmulatorConfiguration(pubSubEmulatorHost: host, rotationCheckInterval: .milliseconds(100)))
            _ = try await emulator.start()
            let messages = try await withCleanup(emulator, cleanup: { await $0.stop() }) { _ in
                try await Self.pull(pubSub, Self.subscription, count: 1)
            }
            #expect(messages.map { $0.attributes["eventType"] } == ["SECRET_ROTATE"])
            #expect(messages.first?.attributes["secretId"] == "projects/\(Self.number)/secrets/due")
            let data = String(decoding: messages.first?.data ?? [], as: UTF8.self)
            #expect(!data.contains(Self.sentinel))
            #expect(!data.contains("rotation"), "a one-time schedule is cleared once it fired")
        }
    }
}
