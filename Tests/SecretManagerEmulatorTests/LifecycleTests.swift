import AsyncHTTPClient
import InMemoryLogging
import Logging
import SecretManagerEmulator
import SecretsmithTestSupport
import ServiceLifecycle
import Testing

/// Starting and stopping: a requested stop is graceful and logs no error, also with open
/// keep-alive connections and a request stalled by a fault; the emulator runs as a
/// `Service` in a `ServiceGroup`.
@Suite struct LifecycleTests {
    @Test func stopWithOpenConnectionsLogsNoError() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .info
        let emulator = SecretManagerEmulator(
            seed: EmulatorHarness.standardSeed,
            configuration: EmulatorConfiguration(faults: FaultConfiguration(rules: [FaultRule(.stall(seconds: 60), method: .getSecret)])),
            logger: logger)
        let port = try await emulator.start()
        try await EmulatorHarness.with(started: emulator, port: port) { harness in
            #expect(try await harness.access("api-key", "1").status == 200)  // leaves a keep-alive connection open
            let stalled = Task { try await harness.send("GET", "/v1/projects/acme-billing-dev/secrets/api-key") }
            while await emulator.stats().count(.getSecret) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            await emulator.stop()
            _ = await stalled.result
            let problems = handler.entries.filter { $0.level >= .error }
            #expect(problems.isEmpty, "\(problems.map { "\($0.level): \($0.message)" })")
            #expect(await emulator.port == nil)
        }
    }

    @Test func runsAsAServiceUntilTheGroupShutsDown() async throws {
        let emulator = SecretManagerEmulator(seed: EmulatorHarness.standardSeed)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [emulator], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        var port: Int?
        for _ in 0..<500 where port == nil {
            port = await emulator.port
            if port == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await EmulatorHarness.with(started: emulator, port: try #require(port)) { harness in
            #expect(try await harness.access("api-key", "1").status == 200)
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(await emulator.port == nil)
        }
    }
}
