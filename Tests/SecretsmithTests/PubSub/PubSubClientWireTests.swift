import AsyncHTTPClient
import Foundation
import Logging
import PubSubEmulatorHarness
@testable import Secretsmith
import Testing

/// The Pub/Sub client against Google's own Pub/Sub emulator (a real peer, over loopback).
///
/// Serialized: each test starts its own emulator (a JVM), and two at once only slow the
/// machine down.
@Suite(.serialized) struct PubSubClientWireTests {
    static let project = "acme-app-dev"
    static let topic = "projects/\(project)/topics/secret-events"
    static let subscription = "projects/\(project)/subscriptions/watcher"

    static func client(host: String) throws -> PubSubClient {
        PubSubClient(
            httpClient: .shared,
            endpoint: try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": host]),
            tokenProvider: nil, logger: Logger(label: "test"),
            retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200)))
    }

    /// A Secret Manager `SECRET_VERSION_ADD` notification for version `version` of db-password.
    static func versionAdded(_ version: Int) -> PubSubMessage {
        let name = "projects/123456789012/secrets/db-password/versions/\(version)"
        let data = #"{"name":"\#(name)","createTime":"2026-11-29T12:00:00Z","state":"ENABLED","etag":"\"\#(version)\""}"#
        return PubSubMessage(
            data: Array(data.utf8),
            attributes: [
                "eventType": "SECRET_VERSION_ADD", "dataFormat": "JSON_API_V1",
                "secretId": "projects/123456789012/secrets/db-password", "versionId": name,
                "timestamp": "2026-11-29T12:00:0\(version).000000Z",
            ])
    }

    /// Pulls until `count` messages have arrived (a pull may return fewer than are waiting),
    /// at most 5 pulls.
    static func pull(
        _ client: PubSubClient, subscription: String = subscription, count: Int
    ) async throws -> [ReceivedMessage] {
        var received: [ReceivedMessage] = []
        for _ in 0..<5 where received.count < count {
            received += try await client.pull(subscription: subscription, maxMessages: 10, timeout: .seconds(30))
        }
        return received
    }

    @Test func publishedEventsArePulledDecodedAcknowledgedAndRedeliveredOnRequest() async throws {
        try await withPubSubEmulator { host in
            let client = try Self.client(host: host)
            try await client.createTopic(Self.topic)
            // A long ack deadline: any redelivery below comes from modifyAckDeadline, not expiry.
            try await client.createSubscription(Self.subscription, topic: Self.topic, ackDeadlineSeconds: 120)

            let ids = try await client.publish(topic: Self.topic, messages: [4, 5, 6].map(Self.versionAdded))
            #expect(ids.count == 3)
            let received = try await Self.pull(client, count: 3)
            #expect(Set(received.compactMap(\.message.messageID)) == Set(ids))
            let events = received.map { SecretEvent(message: $0.message) }
            #expect(events.allSatisfy { $0.type == .versionAdd && $0.isRelevant })
            #expect(events.allSatisfy { $0.secret == SecretResourceName(project: "123456789012", secret: "db-password") })
            #expect(Set(events.compactMap(\.versionNumber)) == [4, 5, 6])
            #expect(events.allSatisfy { $0.versionState == .enabled })
            #expect(received.allSatisfy { $0.message.publishDate != nil })

            try await client.acknowledge(subscription: Self.subscription, ackIDs: received.map(\.ackID))
            // Acknowledging again is harmless.
            try await client.acknowledge(subscription: Self.subscription, ackIDs: received.map(\.ackID))
            // Nothing is left: the pull's timeout passes and it returns no messages. (The
            // emulator keeps holding the abandoned pull and would hand it the next message
            // on this subscription, so the redelivery below uses another one.)
            let nothing = try await client.pull(subscription: Self.subscription, maxMessages: 10, timeout: .seconds(3))
            #expect(nothing.isEmpty)

            let redelivery = "projects/\(Self.project)/subscriptions/redelivery"
            try await client.createSubscription(redelivery, topic: Self.topic, ackDeadlineSeconds: 120)
            let published = try await client.publish(topic: Self.topic, messages: [Self.versionAdded(7)])
            let first = try await Self.pull(client, subscription: redelivery, count: 1)
            #expect(first.map(\.message.messageID) == published)
            // Deadline 0 gives the message back at once: one pull of at most 30 s gets it,
            // long before its 120 s ack deadline would.
            try await client.modifyAckDeadline(subscription: redelivery, ackIDs: first.map(\.ackID), seconds: 0)
            let again = try await client.pull(subscription: redelivery, maxMessages: 10, timeout: .seconds(30))
            #expect(again.map(\.message.messageID) == published)
            #expect(again.map(\.message.data) == first.map(\.message.data))
            #expect(again.map(\.ackID) != first.map(\.ackID))  // a new delivery, a new ack id
            try await client.acknowledge(subscription: redelivery, ackIDs: again.map(\.ackID))
            let empty = try await client.pull(subscription: redelivery, maxMessages: 10, timeout: .seconds(3))
            #expect(empty.isEmpty)
        }
    }

    @Test func aCancelledLongPullReturnsAtOnce() async throws {
        try await withPubSubEmulator { host in
            let client = try Self.client(host: host)
            try await client.createTopic(Self.topic)
            try await client.createSubscription(Self.subscription, topic: Self.topic)
            // The subscription is empty: the emulator holds this pull for about 90 s.
            let pull = Task {
                try await client.pull(subscription: Self.subscription, maxMessages: 10, timeout: .seconds(300))
            }
            try await Task.sleep(for: .seconds(1))  // the request is on its way or held
            let cancelled = ContinuousClock.now
            pull.cancel()
            let result = await pull.result
            let elapsed = ContinuousClock.now - cancelled
            #expect(throws: CancellationError.self) { try result.get() }
            // Generous: a held pull not cancelled would take the emulator's ~90 s.
            #expect(elapsed < .seconds(15), "the cancelled pull took \(elapsed)")
        }
    }

    @Test func errorAnswersMapToGooglesCanonicalCodes() async throws {
        try await withPubSubEmulator { host in
            let client = try Self.client(host: host)
            let missing = "projects/\(Self.project)/subscriptions/does-not-exist"
            let notFound = await #expect(throws: PubSubError.self) {
                _ = try await client.pull(subscription: missing, maxMessages: 1, timeout: .seconds(10))
            }
            #expect(notFound?.code == .notFound)
            #expect(notFound?.httpStatus == 404)
            #expect(notFound?.kind == .configuration)
            #expect(notFound?.description.hasPrefix("Pub/Sub \(missing): NOT_FOUND (HTTP 404): ") == true)

            let noTopic = await #expect(throws: PubSubError.self) {
                _ = try await client.publish(topic: Self.topic, messages: [Self.versionAdded(1)])
            }
            #expect(noTopic?.code == .notFound)

            try await client.createTopic(Self.topic)
            let twice = await #expect(throws: PubSubError.self) { try await client.createTopic(Self.topic) }
            #expect(twice?.code == .alreadyExists)
            #expect(twice?.httpStatus == 409)

            // The emulator checks names like Google does: a topic id has at least 3 characters.
            let shortName = await #expect(throws: PubSubError.self) {
                try await client.createTopic("projects/\(Self.project)/topics/t")
            }
            #expect(shortName?.code == .invalidArgument)

            try await client.createSubscription(Self.subscription, topic: Self.topic)
            let badAck = await #expect(throws: PubSubError.self) {
                try await client.acknowledge(subscription: Self.subscription, ackIDs: ["not-an-ack-id"])
            }
            #expect(badAck?.code == .invalidArgument)
        }
    }
}
