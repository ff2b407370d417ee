import Foundation
import Logging
import MetricsTestKit
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Synchronization
import Testing

/// Metrics (through swift-metrics' `TestMetrics`), stats and the access log of a manager
/// against the in-process emulator, compared with the emulator's own counters.
@Suite struct ManagerObservabilityTests {
    static let sentinel = EmulatorFixture.sentinel

    final class LogLines: Sendable {
        let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
    }

    /// `label{name=value,...}` of every counter, gauge, recorder and timer `metrics` holds.
    static func keys(of metrics: TestMetrics) -> [String] {
        func key(_ label: String, _ dimensions: [(String, String)]) -> String {
            "\(label){\(dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ","))}"
        }
        return metrics.counters.map { key($0.label, $0.dimensions) }
            + metrics.recorders.map { key($0.label, $0.dimensions) }
            + metrics.timers.map { key($0.label, $0.dimensions) }
    }

    func traceLogger(_ lines: LogLines) -> Logger {
        var logger = Logger(label: "secretsmith") { label in
            JSONLogHandler(label: label) { line in lines.storage.withLock { $0.append(line) } }
        }
        logger.logLevel = .trace
        return logger
    }

    @Test func metricsAndStatsMatchTheEmulatorsCounters() async throws {
        try await withEmulator { fixture in try await checkMetricsAndStats(fixture) }
    }

    func checkMetricsAndStats(_ fixture: EmulatorFixture) async throws {
        let metrics = TestMetrics()
        let lines = LogLines()
        var environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
        environment["SECRETSMITH_ENV"] = "dev"
        let configuration = try Configuration.parse(
            Array(EmulatorFixture.standardConfiguration.utf8), file: "test.yaml", environment: environment,
            directory: "/tmp")
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment,
            logger: traceLogger(lines), clock: fixture.clock.clock)
        // The first access of db-password meets one 503 and is retried.
        await fixture.faults([FaultRule(.error(httpStatus: 503), method: .access, resource: "secrets/db-password/", count: 1)])
        try await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
            _ = try await manager.accessSecretVersion("app/db-password-v2")
            _ = try await manager.accessSecretVersion("app/db-password-v2")   // cache hit
            _ = try await manager.accessSecretVersion("app/api-key")
            await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion("app/missing") }
            // A token exchange reported to the manager's counters counts in its stats.
            _ = try await TokenExchangeObservation.observe(
                credentialType: "service_account_file", source: "/etc/sa.json",
                endpoint: "https://oauth2.googleapis.com/token?x=1", logger: traceLogger(lines),
                observer: manager.counters
            ) { _ in "token" }
        }
        let emulator = await fixture.emulator.stats()
        let stats = await manager.stats()
        let dev = [("environment", "dev"), ("project", "acme-app-dev")]

        #expect(metrics.counterTotal(label: SecretsmithMetrics.upstreamRequests) == Int64(emulator.count(.access)))
        #expect(stats.upstreamCalls == emulator.count(.access))
        #expect(try metrics.expectCounter(SecretsmithMetrics.upstreamRequests, dev + [("method", "access"), ("status", "UNAVAILABLE")]).totalValue == 1)
        #expect(try metrics.expectCounter(SecretsmithMetrics.retries, dev + [("reason", "UNAVAILABLE")]).totalValue == 1)
        #expect(try metrics.expectCounter(SecretsmithMetrics.accessRequests, dev + [("status", "OK")]).totalValue == 3)
        #expect(try metrics.expectCounter(SecretsmithMetrics.accessRequests, dev + [("status", "NOT_FOUND")]).totalValue == 1)
        #expect(metrics.timers(label: SecretsmithMetrics.accessDuration).map(\.values.count).reduce(0, +) == 4)
        #expect(try metrics.expectCounter(SecretsmithMetrics.cacheHits, [("environment", "dev")]).totalValue == Int64(stats.cacheHits))
        #expect(try metrics.expectCounter(SecretsmithMetrics.cacheMisses, [("environment", "dev")]).totalValue == Int64(stats.cacheMisses))
        #expect(stats.cacheHits == 1 && stats.cacheMisses == 3)
        #expect(try metrics.expectGauge(SecretsmithMetrics.breakerState, dev).lastValue == 0)
        #expect(try metrics.expectCounter(
            SecretsmithMetrics.tokenRefreshes, [("credential_type", "service_account_file"), ("result", "ok")]).totalValue == 1)

        #expect(stats.requests == 4)
        #expect(stats.accessLatency.count == 4)
        #expect(stats.accessLatency.minSeconds <= stats.accessLatency.maxSeconds)
        #expect(stats.tokenRefreshes == 1 && stats.tokenRefreshFailures == 0)
        #expect(stats.errors == ["NOT_FOUND": 1])

        // The access log: one event per access, with the documented fields.
        let events = lines.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let accessed = events.filter { $0["message"] as? String == "secret accessed" }
        #expect(accessed.count == 3)
        #expect(accessed.map { $0["level"] as? String } == ["info", "debug", "info"])
        let first = try #require(accessed.first?["metadata"] as? [String: String])
        #expect(first["secret.ref"] == "app/db-password-v2" && first["secret.version"] == "2" && first["cache"] == "miss")
        #expect(first["attempts"] == "2" && first["environment"] == "dev" && first["gcp.project"] == "acme-app-dev")
        #expect(first["duration_ms"] != nil)
        #expect(events.contains { $0["message"] as? String == "secret access failed" })
        #expect(events.contains { $0["message"] as? String == "access token obtained" })

        // Sentinel: logs at trace level, stats and metric labels hold no value.
        #expect(!lines.all.isEmpty)
        #expect(lines.all.allSatisfy { !$0.contains(Self.sentinel) })
        let encoded = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        #expect(!encoded.contains(Self.sentinel) && !"\(stats)".contains(Self.sentinel))
        let keys = Self.keys(of: metrics)
        #expect(!keys.isEmpty)
        #expect(keys.allSatisfy { !$0.contains(Self.sentinel) && !$0.contains("db-password") })
    }

    @Test func breakerTransitionsAreCountedAndTheGaugeFollows() async throws {
        try await withEmulator { fixture in
            let metrics = TestMetrics()
            let manager = try fixture.manager()
        await fixture.faults([FaultRule(.error(httpStatus: 503), method: .access)])
        await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
            // minimum_calls 1 at 100%: one access failing after its retries opens the breaker.
            await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion("dev/app/db-password") }
            await #expect(throws: SecretManagerError.self) { _ = try await manager.accessSecretVersion("dev/app/api-key") }
        }
        let dev = [("environment", "dev"), ("project", "acme-app-dev")]
            #expect(try metrics.expectGauge(SecretsmithMetrics.breakerState, dev).lastValue == 2)
            #expect(try metrics.expectCounter(SecretsmithMetrics.breakerTransitions, dev + [("to", "open")]).totalValue == 1)
            #expect(try metrics.expectCounter(SecretsmithMetrics.breakerRejections, dev).totalValue == 1)
        #expect(await manager.stats().breakerRejections == 1)
        }
    }

    @Test func aFailedTokenExchangeIsCountedAndLoggedWithoutDetail() async throws {
        let metrics = TestMetrics()
        let lines = LogLines()
        let counters = ManagerCounters()
        struct Refused: Error {}
        await SecretsmithMetrics.$factoryOverride.withValue(metrics) {
            await #expect(throws: Refused.self) {
                try await TokenExchangeObservation.observe(
                    credentialType: "metadata", source: "metadata server", endpoint: nil, logger: traceLogger(lines),
                    observer: counters
                ) { _ -> String in throw Refused() }
            }
        }
        #expect(try metrics.expectCounter(SecretsmithMetrics.tokenRefreshes, [("credential_type", "metadata"), ("result", "error")]).totalValue == 1)
        #expect(metrics.timers(label: SecretsmithMetrics.tokenRefreshDuration).map(\.values.count).reduce(0, +) == 1)
        let stats = counters.snapshot(cache: .init(), breakers: [])
        #expect(stats.tokenRefreshes == 1 && stats.tokenRefreshFailures == 1)
        let line = try #require(lines.all.first)
        #expect(line.contains("\"access token exchange failed\"") && line.contains("\"error.type\":\"Refused\""))
        #expect(line.contains("\"level\":\"warning\""))
    }
}
