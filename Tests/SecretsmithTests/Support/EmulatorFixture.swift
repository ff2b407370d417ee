import AsyncHTTPClient
import Logging
import SecretManagerEmulator
@testable import Secretsmith

/// An in-process emulator on a free loopback port plus a manager pointed at it, for wire
/// tests. Call `shutdown()` at the end of the test.
struct EmulatorFixture {
    static let sentinel = "SENTINEL-7c1f"

    let emulator: SecretManagerEmulator
    let port: Int
    let httpClient: HTTPClient
    let clock: TestClock

    var host: String { "127.0.0.1:\(port)" }

    /// Project `acme-app-dev` (number 424242424242) with:
    /// `db-password` versions 1, 2 (ENABLED) and 3 (DISABLED); `api-key` version 1 with alias
    /// `current`; `config` a JSON payload; regional `europe-west1` secret `regional`.
    static func standardSeed() -> EmulatorSeed {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        return EmulatorSeed(projects: [
            .init(
                id: "acme-app-dev", number: 424_242_424_242,
                secrets: [
                    .init(
                        id: "db-password",
                        versions: [
                            .init(payload: bytes("pw1-\(sentinel)")), .init(payload: bytes("pw2-\(sentinel)\n")),
                            .init(payload: bytes("pw3-\(sentinel)"), state: .disabled),
                        ]),
                    .init(id: "api-key", versions: [.init(payload: bytes("key-\(sentinel)"))], aliases: ["current": 1]),
                    .init(id: "config", versions: [.init(payload: bytes(#"{"db":{"password":"p-\#(sentinel)","port":5432}}"#))]),
                    .init(id: "binary", versions: [.init(payload: [0, 0xFF, 0xEF, 0xBB, 0xBF, 10])]),
                ],
                locations: [
                    .init(name: "europe-west1", secrets: [.init(id: "regional", versions: [.init(payload: bytes("eu-\(sentinel)"))])])
                ]),
            .init(id: "acme-app-prod", number: 515_151_515_151, secrets: [
                .init(id: "db-password", versions: [.init(payload: bytes("prod-\(sentinel)"))])
            ]),
        ])
    }

    static let standardConfiguration = """
        version: 1
        defaults:
          retry: { max_attempts: 3, initial_backoff: 100ms, max_backoff: 1s, multiplier: 2 }
          # One access failing after its retries opens the breaker (tests of the breaker).
          circuit_breaker: { failure_rate_threshold: 100%, minimum_calls: 1, recovery_timeout: 30s, half_open_calls: 1 }
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                secrets:
                  db-password: {}
                  db-password-v2: { secret_id: db-password, version: "2" }
                  api-key: { version: current }
                  config: {}
                  binary: {}
                  missing: {}
              eu:
                project_id: acme-app-dev
                location: europe-west1
                secrets:
                  regional: {}
          prod:
            projects:
              app:
                project_id: acme-app-prod
                secrets:
                  db-password: {}
        """

    static func start(seed: EmulatorSeed = standardSeed()) async throws -> EmulatorFixture {
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
    func manager(
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

    func client() -> SecretManagerClient {
        SecretManagerClient(
            httpClient: httpClient,
            endpoint: SecretManagerEndpoint(baseURL: "http://\(host)", requiresCredentials: false),
            tokenProvider: nil, logger: Logger(label: "test"))
    }

    func faults(_ rules: [FaultRule]) async {
        await emulator.setFaults(FaultConfiguration(rules: rules, seed: 1))
    }

    func accessCalls() async -> Int {
        await emulator.stats().count(.access)
    }

    func shutdown() async {
        await emulator.stop()
    }
}
