import Foundation
import Logging
import MetricsTestKit
import PubSubEmulatorHarness
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing
@testable import Secretsmith

/// The watch engine pulling from Google's Pub/Sub emulator (a real peer, over loopback).
///
/// Serialized: each test starts its own emulator (a JVM).
@Suite(.serialized) struct WatchPubSubTests {
    static let topic = "projects/acme-ops/topics/secret-events"
    static let subscription = "projects/acme-ops/subscriptions/watcher"

    static func client(host: String) throws -> PubSubClient {
        PubSubClient(
            httpClient: .shared,
            endpoint: try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": host]),
            tokenProvider: nil, logger: Logger(label: "test"),
            retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(200)))
    }

    @Test func aMessageIsAcknowledgedOnlyOnceTheChangeIsOnDisk() async throws {
        let metrics = TestMetrics()
        try await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
            try await withPubSubEmulator { host in
                try await WatchSetup.with { setup in
                    let client = try Self.client(host: host)
                    try await client.createTopic(Self.topic)
                    // The shortest ack deadline Pub/Sub allows: an unacknowledged message is back in 10 s.
                    try await client.createSubscription(Self.subscription, topic: Self.topic, ackDeadlineSeconds: 10)
                    let engine = setup.engine(
                        WatchSettings(subscription: Self.subscription, pollInterval: nil, debounce: .milliseconds(100)),
                        sources: .init(subscriptions: [(Self.subscription, client)]))
                    try await engine.start()
                    let adds = { (try? metrics.expectCounter(WatchMetrics.events, [("type", "SECRET_VERSION_ADD")]))?.totalValue ?? 0 }

                    // Secret Manager refuses every access of config for now: the refresh fails.
                    await setup.fixture.faults([FaultRule(.error(httpStatus: 503), method: .access, resource: "*secrets/config/*")])
                    try await setup.addVersion("config", payload: "on-disk")
                    _ = try await client.publish(
                        topic: Self.topic, messages: [WatchSetup.event("SECRET_VERSION_ADD", version: 2)])
                    let run = Task { await engine.run() }
                    defer { run.cancel() }
                    let failed = try await setup.refreshes.wait(for: 1)
                    #expect(failed[0].failedOutputs == ["config"])

                    // Not acknowledged: Pub/Sub delivers the message again after its ack deadline.
                    let deadline = ContinuousClock.now + .seconds(60)
                    while adds() < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    #expect(adds() >= 2)

                    // Secret Manager answers again: the retry writes the file, then acknowledges.
                    await setup.fixture.faults([])
                    while try !setup.file("config.env").contains("on-disk"), ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(try setup.file("config.env").contains("on-disk"))
                    try await Task.sleep(for: .milliseconds(500))
                    let delivered = adds()
                    // Past another ack deadline, nothing came back.
                    try await Task.sleep(for: .seconds(13))
                    #expect(adds() == delivered)
                }
            }
        }
    }

    @Test func irrelevantEventsAreAcknowledgedAndNeverRefresh() async throws {
        let metrics = TestMetrics()
        try await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
            try await withPubSubEmulator { host in
                try await WatchSetup.with { setup in
                    let client = try Self.client(host: host)
                    try await client.createTopic(Self.topic)
                    try await client.createSubscription(Self.subscription, topic: Self.topic, ackDeadlineSeconds: 10)
                    let engine = setup.engine(
                        WatchSettings(subscription: Self.subscription, pollInterval: nil, debounce: .milliseconds(100)),
                        sources: .init(subscriptions: [(Self.subscription, client)]))
                    try await engine.start()
                    let access = await setup.calls(.access)
                    _ = try await client.publish(
                        topic: Self.topic,
                        messages: [
                            WatchSetup.event("SECRET_ROTATE"),
                            WatchSetup.event("SECRET_VERSION_ADD", secret: "binary", version: 2),
                        ])
                    let run = Task { await engine.run() }
                    defer { run.cancel() }
                    let total = { metrics.counters.filter { $0.label == WatchMetrics.events }.map(\.totalValue).reduce(0, +) }
                    let deadline = ContinuousClock.now + .seconds(30)
                    while total() < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    #expect(total() == 2)
                    // Past the ack deadline: acknowledged, so not delivered again; nothing fetched.
                    try await Task.sleep(for: .seconds(13))
                    #expect(total() == 2)
                    #expect(await setup.refreshes.all.isEmpty)
                    #expect(await setup.calls(.access) == access)
                }
            }
        }
    }
}
