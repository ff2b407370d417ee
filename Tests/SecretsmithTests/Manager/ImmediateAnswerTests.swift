import CoreMetrics
import Foundation
import Logging
import MetricsTestKit
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing
import Tracing

/// A cache hit and an open breaker's refusal are answered without an observation when no
/// tracer is in force; with one they go through the observed path (and get a span). Both
/// paths must count, record and log the same.
@Suite struct ImmediateAnswerTests {
    static let sentinel = EmulatorFixture.sentinel

    final class LogLines: Sendable {
        let storage = Mutex<[String]>([])
        var events: [[String: Any]] {
            storage.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    /// What one access leaves behind: stats, metrics and the access log.
    struct Figures: Equatable {
        var requests = 0
        var hits = 0
        var misses = 0
        var rejections = 0
        var errors: [String: Int] = [:]
        var latencies = 0
        var okMetric: Int64 = 0
        var circuitOpenMetric: Int64 = 0
        var hitMetric: Int64 = 0
        var missMetric: Int64 = 0
        var rejectionMetric: Int64 = 0
        var timed = 0
        /// `message level cache error.code` of each access event.
        var log: [String] = []
    }

    static func figures(_ manager: MultiEnvironmentSecretManager, _ metrics: TestMetrics, _ lines: LogLines) async -> Figures {
        let stats = await manager.stats()
        func counter(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
            (try? metrics.expectCounter(label, dimensions).totalValue) ?? 0
        }
        let dev = [("environment", "dev"), ("project", "acme-app-dev")]
        return Figures(
            requests: stats.requests, hits: stats.cacheHits, misses: stats.cacheMisses,
            rejections: stats.breakerRejections, errors: stats.errors, latencies: stats.accessLatency.count,
            okMetric: counter(SecretsmithMetrics.accessRequests, dev + [("status", "OK")]),
            circuitOpenMetric: counter(SecretsmithMetrics.accessRequests, dev + [("status", "CIRCUIT_OPEN")]),
            hitMetric: counter(SecretsmithMetrics.cacheHits, [("environment", "dev")]),
            missMetric: counter(SecretsmithMetrics.cacheMisses, [("environment", "dev")]),
            rejectionMetric: counter(SecretsmithMetrics.breakerRejections, dev),
            timed: metrics.timers(label: SecretsmithMetrics.accessDuration).map(\.values.count).reduce(0, +),
            log: lines.events.compactMap { event in
                guard let message = event["message"] as? String, message.hasPrefix("secret access") else { return nil }
                let metadata = event["metadata"] as? [String: String] ?? [:]
                return [message, event["level"] as? String ?? "", metadata["cache"] ?? "-", metadata["error.code"] ?? "-",
                        metadata["secret.ref"] ?? "-", metadata["attempts"] ?? "-"].joined(separator: " ")
            })
    }

    /// The differences of two figures (counts subtracted, new log lines).
    static func delta(_ before: Figures, _ after: Figures) -> Figures {
        var errors = after.errors
        for (code, count) in before.errors { errors[code, default: 0] -= count }
        return Figures(
            requests: after.requests - before.requests, hits: after.hits - before.hits, misses: after.misses - before.misses,
            rejections: after.rejections - before.rejections, errors: errors.filter { $0.value != 0 },
            latencies: after.latencies - before.latencies, okMetric: after.okMetric - before.okMetric,
            circuitOpenMetric: after.circuitOpenMetric - before.circuitOpenMetric, hitMetric: after.hitMetric - before.hitMetric,
            missMetric: after.missMetric - before.missMetric, rejectionMetric: after.rejectionMetric - before.rejectionMetric,
            timed: after.timed - before.timed, log: Array(after.log.dropFirst(before.log.count)))
    }

    /// Runs `access` once without a tracer (the immediate answer) and once under a recording
    /// tracer (the observed path), and returns what each left behind and the spans.
    static func bothPaths(
        configuration text: String, prepare: (EmulatorFixture, MultiEnvironmentSecretManager) async throws -> Void,
        access: @escaping (MultiEnvironmentSecretManager) async throws -> Void
    ) async throws -> (immediate: Figures, observed: Figures, spans: [RecordedSpan]) {
        try await withEmulator { fixture in
            let metrics = TestMetrics()
            let lines = LogLines()
            var logger = Logger(label: "secretsmith") { label in
                JSONLogHandler(label: label) { line in lines.storage.withLock { $0.append(line) } }
            }
            logger.logLevel = .trace
            let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
            let configuration = try Configuration.parse(
                Array(text.utf8), file: "test.yaml", environment: environment, directory: "/tmp")
            let manager = MultiEnvironmentSecretManager(
                configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment,
                logger: logger, clock: fixture.clock.clock)
            let recorder = SpanRecorder()
            return try await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
                try await prepare(fixture, manager)
                let start = await figures(manager, metrics, lines)
                try await access(manager)
                let middle = await figures(manager, metrics, lines)
                try await withTracer(W3CTracer(recorder: recorder)) { try await access(manager) }
                let end = await figures(manager, metrics, lines)
                #expect(lines.storage.withLock { $0 }.allSatisfy { !$0.contains(Self.sentinel) })
                return (delta(start, middle), delta(middle, end), recorder.finishedSpans)
            }
        }
    }

    @Test func aCacheHitIsRecordedAsTheObservedPathRecordsIt() async throws {
        let (immediate, observed, spans) = try await Self.bothPaths(
            configuration: EmulatorFixture.standardConfiguration,
            prepare: { _, manager in _ = try await manager.accessSecretVersion("dev/app/api-key") },
            access: { manager in
                let value = try await manager.accessSecretVersion("dev/app/api-key")
                #expect(value.bytes == Array("key-\(Self.sentinel)".utf8))
            })
        #expect(immediate == observed)
        #expect(immediate.requests == 1 && immediate.hits == 1 && immediate.misses == 0 && immediate.latencies == 1)
        #expect(immediate.okMetric == 1 && immediate.hitMetric == 1 && immediate.timed == 1)
        #expect(immediate.log == ["secret accessed debug hit - dev/app/api-key 0"])
        // Only the traced access made a span.
        #expect(spans.filter { $0.name == SecretsmithSpans.access }.count == 1)
    }

    @Test func anOpenBreakersRefusalIsRecordedAsTheObservedPathRecordsIt() async throws {
        // One access failing after its retries opens the breaker; no stale-if-error.
        let recorded = Mutex<[String]>([])
        let (immediate, observed, spans) = try await Self.bothPaths(
            configuration: EmulatorFixture.standardConfiguration,
            prepare: { fixture, manager in
                await fixture.faults([FaultRule(.error(httpStatus: 503))])
                _ = try? await manager.accessSecretVersion("dev/app/api-key")
                #expect(await manager.stats().breakers.map(\.state) == ["open"])
            },
            access: { manager in
                let error = await #expect(throws: SecretManagerError.self) {
                    _ = try await manager.accessSecretVersion("dev/app/api-key")
                }
                #expect(error?.code == .circuitOpen)
                recorded.withLock { $0.append(error?.message ?? "") }
            })
        let messages = recorded.withLock { $0 }
        #expect(immediate == observed)
        #expect(immediate.requests == 1 && immediate.misses == 1 && immediate.rejections == 1)
        #expect(immediate.errors == ["CIRCUIT_OPEN": 1])
        #expect(immediate.circuitOpenMetric == 1 && immediate.rejectionMetric == 1 && immediate.missMetric == 1)
        #expect(immediate.timed == 1 && immediate.okMetric == 0)
        #expect(immediate.log == ["secret access failed info - CIRCUIT_OPEN dev/app/api-key -"])
        // The same sentence both ways (the fake clock does not move between them).
        #expect(messages.count == 2 && messages[0] == messages[1])
        #expect(messages.first?.hasPrefix(
            "not called: the circuit breaker for project acme-app-dev in environment dev is open after 1 of the last 1 accesses failed") == true)
        // The traced refusal's span carries the refused attempt.
        let access = spans.filter { $0.name == SecretsmithSpans.access }
        #expect(access.count == 1)
        #expect(access.first?.events.contains { $0.attributes["secretsmith.status"]?.description == "CIRCUIT_OPEN" } == true)
    }

    @Test func aCancelledTaskIsNotAnsweredFromTheCache() async throws {
        try await withEmulator { fixture in
            let manager = try fixture.manager()
            let resolved = try manager.resolve("dev/app/api-key")
            _ = try await manager.accessSecretVersion(resolved)
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await manager.accessSecretVersion(resolved)
            }
            await #expect(throws: CancellationError.self) { _ = try await task.value }
            let stats = await manager.stats()
            #expect(stats.cacheHits == 0 && stats.errors == ["CANCELLED": 1])
        }
    }

    @Test func aFactorysIdentityIsItsInstanceForAClassAndItsTypeForAStruct() {
        let first = TestMetrics()
        let second = TestMetrics()
        #expect(SecretsmithMetrics.AccessHandleSlot.identity(of: first) == ObjectIdentifier(first))
        #expect(SecretsmithMetrics.AccessHandleSlot.identity(of: first) != SecretsmithMetrics.AccessHandleSlot.identity(of: second))
        struct ValueFactory: MetricsFactory {
            func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
            func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
                NOOPMetricsHandler.instance
            }
            func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
            func destroyCounter(_ handler: any CounterHandler) {}
            func destroyRecorder(_ handler: any RecorderHandler) {}
            func destroyTimer(_ handler: any TimerHandler) {}
        }
        #expect(SecretsmithMetrics.AccessHandleSlot.identity(of: ValueFactory()) == ObjectIdentifier(ValueFactory.self))
    }

    @Test func tracingIsActiveOnlyUnderARealTracer() {
        #expect(!SecretsmithSpans.tracingActive)
        withTracer(NoOpTracer()) { #expect(!SecretsmithSpans.tracingActive) }
        withTracer(W3CTracer(recorder: SpanRecorder())) { #expect(SecretsmithSpans.tracingActive) }
    }
}
