import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// Request counters, in-process and over the admin endpoints.
@Suite struct StatsTests {
    @Test func countsPerMethodResourceAndStatus() async throws {
        try await EmulatorHarness.with { harness async throws in
            _ = try await harness.access("api-key", "latest")
            _ = try await harness.access("api-key", "latest")
            _ = try await harness.access("api-key", "1")
            _ = try await harness.access("db-password", "latest")  // 400: DISABLED
            _ = try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/api-key/versions/1")
            _ = try await harness.send("GET", "/nowhere")
            let stats = await harness.emulator.stats()
            #expect(stats.requests == 5)
            #expect(stats.count(.access) == 4)
            #expect(stats.count(.getVersion) == 1)
            #expect(stats.count(.access, resource: "projects/acme-billing-dev/secrets/api-key/versions/latest") == 2)
            #expect(stats.count(.access, resource: "projects/acme-billing-dev/secrets/api-key/versions/1") == 1)
            #expect(stats.count(.getVersion, resource: "projects/acme-billing-dev/secrets/api-key/versions/1") == 1)
            #expect(stats.count(statusCode: 200) == 4)
            #expect(stats.count(statusCode: 400) == 1)
            #expect(stats.unknownPaths == 1)
            #expect(stats.faultedRequests == 0)
        }
    }

    @Test func adminEndpointsServeAndResetTheCounters() async throws {
        try await EmulatorHarness.with { harness async throws in
            _ = try await harness.access("api-key", "1")
            let health = try await harness.send("GET", "/_emulator/health")
            #expect(health.text == #"{"status":"ok"}"#)
            let answer = try await harness.send("GET", "/_emulator/stats")
            #expect(answer.status == 200)
            let decoded = try JSONDecoder().decode(EmulatorStats.self, from: Data(answer.body))
            #expect(decoded == (await harness.emulator.stats()))
            #expect(decoded.count(.access) == 1)
            // Admin requests are not counted.
            #expect(decoded.requests == 1)

            let reset = try await harness.send("POST", "/_emulator/reset")
            #expect(reset.status == 200)
            #expect(await harness.emulator.stats() == EmulatorStats())
            #expect(try await harness.send("GET", "/_emulator/unknown").status == 404)
        }
    }

    @Test func resetInProcess() async throws {
        try await EmulatorHarness.with { harness async throws in
            _ = try await harness.access("api-key", "1")
            await harness.emulator.resetStats()
            #expect(await harness.emulator.stats().requests == 0)
        }
    }

    @Test func lifecycle() async throws {
        let emulator = SecretManagerEmulator(seed: EmulatorHarness.standardSeed)
        #expect(await emulator.port == nil)
        let port = try await emulator.start()
        #expect(port > 0)
        #expect(await emulator.port == port)
        #expect(await emulator.baseURL == "http://127.0.0.1:\(port)")
        await #expect(throws: SecretManagerEmulator.LifecycleError.self) { _ = try await emulator.start() }
        await emulator.stop()
        #expect(await emulator.port == nil)
        await emulator.stop()  // stopping twice is harmless
        // It can start again, with its state kept.
        let again = try await emulator.start()
        #expect(again > 0)
        await emulator.stop()
    }

    @Test func bindFailureIsReported() async throws {
        let first = SecretManagerEmulator()
        let port = try await first.start()
        defer { Task { await first.stop() } }
        let second = SecretManagerEmulator(configuration: EmulatorConfiguration(port: port))
        await #expect(throws: (any Error).self) { _ = try await second.start() }
        await first.stop()
    }

    @Test func runServesUntilCancelled() async throws {
        let emulator = SecretManagerEmulator(seed: EmulatorHarness.standardSeed)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await emulator.run { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        #expect(port > 0)
        #expect(await emulator.port == port)
        task.cancel()
        try await task.value
        #expect(await emulator.port == nil)
    }
}
