import AsyncHTTPClient
import Logging
import SecretManagerEmulator
import Secretsmith

/// An in-process emulator on a free loopback port plus a manager pointed at it, for wire
/// tests. ``withEmulator(seed:_:)`` stops it when the test body returns or throws.
package struct EmulatorFixture: Sendable {
    package static let sentinel = StandardSeed.sentinel

    package let emulator: SecretManagerEmulator
    package let port: Int
    package let httpClient: HTTPClient
    package let clock: TestClock

    package var host: String { "127.0.0.1:\(port)" }

    /// ``StandardSeed/seed``.
    package static func standardSeed() -> EmulatorSeed { StandardSeed.seed }

    /// ``StandardSeed/configuration``.
    package static let standardConfiguration = StandardSeed.configuration

    /// Starts an emulator; the caller stops it with ``shutdown()``. Prefer
    /// ``withEmulator(seed:_:)``, which cannot forget to.
    package static func start(seed: EmulatorSeed = standardSeed()) async throws -> EmulatorFixture {
        let emulator = SecretManagerEmulator(seed: seed)
        let port = try await emulator.start()
        return EmulatorFixture(
            emulator: emulator, port: port,
            // The shared client needs no shutdown, so a test that throws early cannot leave a
            // client behind that traps in its deinit.
            httpClient: HTTPClient.shared, clock: TestClock())
    }

    /// A manager over `configuration` whose requests go to this emulator and whose retry
    /// backoff advances the test clock instead of sleeping.
    ///
    /// - Parameter client: the HTTP client to use instead of the fixture's shared one.
    package func manager(
        configuration text: String = standardConfiguration, environment: [String: String] = [:],
        httpClient client: HTTPClient? = nil
    ) throws -> MultiEnvironmentSecretManager {
        var processEnvironment = environment
        processEnvironment["SECRET_MANAGER_EMULATOR_HOST"] = host
        let configuration = try Configuration.parse(
            Array(text.utf8), file: "test.yaml", environment: processEnvironment, directory: "/tmp")
        return MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: client ?? httpClient, processEnvironment: processEnvironment,
            clock: clock.clock)
    }

    package func client() -> SecretManagerClient {
        SecretManagerClient(
            httpClient: httpClient,
            endpoint: SecretManagerEndpoint(baseURL: "http://\(host)", requiresCredentials: false),
            tokenProvider: nil, logger: Logger(label: "test"))
    }

    package func faults(_ rules: [FaultRule]) async {
        await emulator.setFaults(FaultConfiguration(rules: rules, seed: 1))
    }

    package func accessCalls() async -> Int {
        await emulator.stats().count(.access)
    }

    package func shutdown() async {
        await emulator.stop()
    }
}

/// Runs `body` with an in-process emulator over `seed` and stops the emulator afterwards,
/// also when `body` throws.
package func withEmulator<Result>(
    seed: EmulatorSeed = StandardSeed.seed, _ body: (EmulatorFixture) async throws -> Result
) async throws -> Result {
    try await withCleanup(try await EmulatorFixture.start(seed: seed), cleanup: { await $0.shutdown() }, body)
}
