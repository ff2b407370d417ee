import Crypto
import Foundation
import InMemoryLogging
import Logging
import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing

@testable import SecretsmithServer

@Suite struct WebhookNotifierTests {
    static let key = Array("0123456789abcdef0123456789abcdef".utf8)

    static func event(
        type: String = "SECRET_VERSION_ADD", secret: String = "projects/424242424242/secrets/db-password", version: Int? = 7
    ) -> SecretEvent {
        var attributes = ["eventType": type, "secretId": secret]
        if let version { attributes["versionId"] = "\(secret)/versions/\(version)" }
        // The data carries the resource after the change; a value never travels in an event,
        // but the test puts the sentinel where a careless encoder might copy it from.
        let data = #"{"name": "\#(secret)\#(version.map { "/versions/\($0)" } ?? "")", "labels": {"x": "\#(StandardSeed.sentinel)"}}"#
        return SecretEvent(message: PubSubMessage(data: Array(data.utf8), attributes: attributes, messageID: "m-1"))
    }

    /// A notifier whose retries do not sleep, and a way to wait for its counts.
    struct Fixture {
        let logs = InMemoryLogHandler()
        let notifier: WebhookNotifier
        let clock = TestWallClock()
        let metrics = RecordingMetrics()

        func deliveries(_ result: String) -> Int64 {
            metrics.total(WebhookNotifier.deliveriesMetric, [("result", result)])
        }

        init(urls: [String], capacity: Int = 16, maxAttempts: Int = 5) {
            var logger = Logger(label: "test") { [logs] _ in logs }
            logger.logLevel = .trace
            let instant = SecretManagerClock(now: { ContinuousClock.now }, sleep: { _ in await Task.yield() })
            notifier = WebhookNotifier(
                endpoints: urls.map { WebhookEndpoint(url: $0, signingKey: WebhookNotifierTests.key) },
                configuration: .init(
                    queueCapacity: capacity, retry: RetryPolicy(maxAttempts: maxAttempts, initialBackoff: .milliseconds(10))),
                clock: instant, now: clock.closure, metricsFactory: metrics, logger: logger)
        }

        var logText: String { logs.entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n") }

        /// Runs the notifier until `done` holds for its statistics (at most 30 s), then stops it.
        func run(until done: @escaping @Sendable (WebhookNotifier.Statistics) -> Bool) async throws {
            let task = Task { try await notifier.run() }
            let deadline = ContinuousClock.now + .seconds(30)
            while !done(notifier.statistics), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            task.cancel()
            _ = await task.result
            #expect(done(notifier.statistics), "statistics: \(notifier.statistics)")
        }
    }

    @Test func bodyNamesSecretTypeAndVersionAndSignatureVerifiesIndependently() async throws {
        try await withLoopbackServer({ _, _ in .init(status: 204) }) { server in
            let fixture = Fixture(urls: ["\(server.baseURL)/hooks/secretsmith?token=receiver-token"])
            #expect(fixture.notifier.enqueue(Self.event()))
            try await fixture.run { $0.delivered == 1 }
            let request = try #require(server.received.first)
            #expect(request.method == "POST")
            let body = String(decoding: request.body, as: UTF8.self)
            #expect(body == #"{"eventType":"SECRET_VERSION_ADD","secret":"projects/424242424242/secrets/db-password","version":7}"#)
            #expect(!body.contains(StandardSeed.sentinel))

            let timestamp = try #require(request.headers[.init("X-Secretsmith-Timestamp")!])
            #expect(timestamp == String(fixture.clock.seconds))
            let signature = try #require(request.headers[.init("X-Secretsmith-Signature")!])
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array("\(timestamp).".utf8) + request.body, using: SymmetricKey(data: Self.key))
            let expected = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
            #expect(signature == expected)
            #expect(request.headers[.contentType] == "application/json")
            #expect(request.headers[.init("X-Secretsmith-Delivery")!] != nil)
            #expect(!fixture.logText.contains("receiver-token"), "the URL's query stays out of the logs")
        }
    }

    @Test func secretEventsWithoutAVersionOmitIt() throws {
        let body = try #require(WebhookNotifier.body(for: Self.event(type: "SECRET_UPDATE", version: nil)))
        #expect(String(decoding: body, as: UTF8.self) == #"{"eventType":"SECRET_UPDATE","secret":"projects/424242424242/secrets/db-password"}"#)
    }

    @Test func failedAttemptsAreRetriedUntilSuccessWithTheSameDeliveryID() async throws {
        try await withLoopbackServer({ number, _ in
            number <= 2 ? .init(status: number == 1 ? 500 : 503) : .init(status: 200)
        }) { server in
            let fixture = Fixture(urls: ["\(server.baseURL)/hook"])
            fixture.notifier.enqueue(Self.event())
            try await fixture.run { $0.delivered == 1 }
            #expect(server.received.count == 3)
            let ids = Set(server.received.compactMap { $0.headers[.init("X-Secretsmith-Delivery")!] })
            #expect(ids.count == 1)
            #expect(fixture.notifier.statistics == .init(delivered: 1, failed: 0, dropped: 0))
            #expect(fixture.deliveries("delivered") == 1)
            #expect(fixture.deliveries("failed") == 0)
        }
    }

    @Test func aClientErrorFailsAtOnceAndExhaustedRetriesFail() async throws {
        try await withLoopbackServer({ _, request in .init(status: request.path == "/gone" ? 410 : 502) }) { server in
            let fixture = Fixture(urls: ["\(server.baseURL)/gone", "\(server.baseURL)/down"], maxAttempts: 3)
            fixture.notifier.enqueue(Self.event())
            try await fixture.run { $0.failed == 2 }
            #expect(server.received.filter { $0.path == "/gone" }.count == 1)
            #expect(server.received.filter { $0.path == "/down" }.count == 3)
            #expect(fixture.logText.contains("could not be delivered"))
            #expect(fixture.deliveries("failed") == 2)
        }
    }

    @Test func aFullQueueDropsAndCountsAndIrrelevantEventsAreNotSent() {
        let fixture = Fixture(urls: ["http://127.0.0.1:1/hook"], capacity: 2)
        #expect(!fixture.notifier.enqueue(Self.event(type: "TOPIC_CONFIGURED")))
        #expect(fixture.notifier.enqueue(Self.event()))
        #expect(fixture.notifier.enqueue(Self.event()))
        #expect(!fixture.notifier.enqueue(Self.event()))
        #expect(!fixture.notifier.enqueue(Self.event()))
        #expect(fixture.notifier.statistics == .init(delivered: 0, failed: 0, dropped: 2))
        #expect(fixture.deliveries("dropped") == 2)
    }

    @Test func gracefulShutdownGivesWhatIsQueuedOneAttemptAndEnds() async throws {
        try await withLoopbackServer({ _, _ in .init(status: 503) }) { server in
            let fixture = Fixture(urls: ["\(server.baseURL)/hook"], maxAttempts: 5)
            fixture.notifier.enqueue(Self.event())
            fixture.notifier.enqueue(Self.event(version: 8))
            fixture.notifier.shutDownQueues()
            #expect(!fixture.notifier.enqueue(Self.event(version: 9)), "no new notification after shutdown")
            try await fixture.notifier.run()   // returns once the queue is drained
            #expect(server.received.count == 2, "one attempt each, no retries")
            #expect(fixture.notifier.statistics == .init(delivered: 0, failed: 2, dropped: 1))
        }
    }

    @Test func signingKeyFileIsTrimmedAndShortKeysAreRefused() throws {
        try withWorkspace { workspace in
            let path = try workspace.write("key", "0123456789abcdef0123456789abcdef\n")
            #expect(try WebhookEndpoint.loadSigningKey(path: path) == Self.key)
            let short = try workspace.write("short", "tiny-key\n")
            do throws(AuthenticationSetupError) {
                _ = try WebhookEndpoint.loadSigningKey(path: short)
                Issue.record("a short key was accepted")
            } catch {
                #expect(error.description.hasPrefix("\(short): "))
                #expect(!error.description.contains("tiny-key"))
            }
            #expect(throws: AuthenticationSetupError.self) { try WebhookEndpoint.loadSigningKey(path: workspace.path("none")) }
        }
    }

    @Test func processorInvalidatesThenNotifies() async throws {
        let fixture = Fixture(urls: ["http://127.0.0.1:1/hook"], capacity: 4)
        let cache = RecordingCache()
        let processor = SecretEventProcessor(
            cache: cache, webhooks: fixture.notifier, logger: Logger(label: "t") { _ in SwiftLogNoOpLogHandler() })
        let result = await processor.process(Self.event(), source: "test")
        #expect(result == .init(relevant: true, invalidated: 1, notified: true))
        let ignored = await processor.process(Self.event(type: "SECRET_ROTATE", version: nil), source: "test")
        #expect(ignored == .init(relevant: false, invalidated: 0, notified: false))
        #expect(cache.count == 1)
    }
}
