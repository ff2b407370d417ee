import AsyncHTTPClient
import Foundation
import Logging
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport

/// An in-process emulator with authentication on, key files in a temporary directory, and
/// managers that reach the emulator through `endpoint:` (with tokens), not through
/// `SECRET_MANAGER_EMULATOR_HOST` (without).
/// ``with(seed:configuration:_:)`` stops the emulator and removes the directory when the test
/// body returns or throws. `GCE_METADATA_TIMEOUT` is 10 s in these managers so the metadata probe cannot time out
/// while the whole suite loads the machine; tests of an absent server set it back.
struct AuthFixture {
    static let sentinel = StandardSeed.sentinel
    static let project = "acme-app-dev"
    static let ci = try! GeneratedServiceAccount(email: "ci@acme-app-dev.iam.gserviceaccount.com")
    static let other = try! GeneratedServiceAccount(email: "other@acme-app-dev.iam.gserviceaccount.com")
    static let deployer = "deployer@acme-app-prod.iam.gserviceaccount.com"
    static let hop = "hop@acme-app-prod.iam.gserviceaccount.com"
    static let runner = "runner@acme-app-dev.iam.gserviceaccount.com"
    static let developer = EmulatorSeed.AuthorizedUser(
        email: "dev@example.com", clientID: "1234.apps.googleusercontent.com", clientSecret: "client-secret-\(sentinel)",
        refreshToken: "1//refresh-\(sentinel)")
    /// Strings that must never appear in an error, a log line or stderr.
    static var forbidden: [String] {
        [sentinel, "-----BEGIN", "PRIVATE KEY", "ya29.", "eyJ"]
    }

    let emulator: SecretManagerEmulator
    let port: Int
    let httpClient: HTTPClient
    let clock: TestClock
    let directory: URL

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var tokenURL: String { "\(baseURL)/token" }

    /// `acme-app-dev`: `db-password`, `s001`…`s200`, and `restricted` (only `other@` may read
    /// it); the project is open to ci@, dev@, runner@ and deployer@. `deployer@` may be
    /// impersonated by `hop@` only, `hop@` by ci@ only.
    static func standardSeed() -> EmulatorSeed {
        var secrets = [
            EmulatorSeed.Secret(id: "db-password", versions: [.init(payload: Array("pw-\(sentinel)".utf8))]),
            EmulatorSeed.Secret(
                id: "restricted", versions: [.init(payload: Array("r-\(sentinel)".utf8))], access: [other.email]),
        ]
        for index in 1...200 {
            secrets.append(.init(id: String(format: "s%03d", index), versions: [.init(payload: Array("v\(index)-\(sentinel)".utf8))]))
        }
        return EmulatorSeed(
            projects: [
                .init(id: project, number: 424_242_424_242, secrets: secrets, access: [ci.email, developer.email, runner, deployer])
            ],
            serviceAccounts: [
                ci.seedAccount(), other.seedAccount(),
                .init(email: hop, tokenCreators: [ci.email]), .init(email: deployer, tokenCreators: [hop]),
                .init(email: runner),
            ],
            authorizedUsers: [developer],
            metadata: .init(serviceAccount: runner, projectID: project))
    }

    static func start(
        seed: EmulatorSeed = standardSeed(),
        configuration: EmulatorConfiguration = EmulatorConfiguration(requireAuthentication: true)
    ) async throws -> AuthFixture {
        let emulator = SecretManagerEmulator(seed: seed, configuration: configuration)
        let port = try await emulator.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secretsmith-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The shared client needs no shutdown, so a test that fails half-way cannot crash
        // the test process in HTTPClient's deinit check.
        return AuthFixture(emulator: emulator, port: port, httpClient: .shared, clock: TestClock(), directory: directory)
    }

    /// Runs `body` with a started fixture and shuts it down afterwards, also when `body` throws.
    static func with<Result>(
        seed: EmulatorSeed = standardSeed(),
        configuration: EmulatorConfiguration = EmulatorConfiguration(requireAuthentication: true),
        _ body: (AuthFixture) async throws -> Result
    ) async throws -> Result {
        try await withCleanup(
            try await start(seed: seed, configuration: configuration), cleanup: { await $0.shutdown() }, body)
    }

    /// Writes a file in the fixture's directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// A key file of `account` whose `token_uri` is the emulator's.
    func keyFile(_ account: GeneratedServiceAccount = AuthFixture.ci, pkcs1: Bool = false, name: String = "sa.json") throws -> String {
        try write(name, account.keyFileJSON(tokenURI: tokenURL, projectID: Self.project, pkcs1: pkcs1))
    }

    /// An `authorized_user` file as gcloud writes it, plus `token_uri` for the emulator.
    func userFile(refreshToken: String = AuthFixture.developer.refreshToken, name: String = "adc.json") throws -> String {
        let object: [String: Any] = [
            "type": "authorized_user", "client_id": Self.developer.clientID, "client_secret": Self.developer.clientSecret,
            "refresh_token": refreshToken, "token_uri": tokenURL, "account": Self.developer.email,
        ]
        return try write(name, String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// The configuration text with `credentials:` set (YAML flow mapping or a bare type).
    func configuration(credentials: String, extra: String = "") -> String {
        """
        version: 1
        defaults:
          endpoint: \(baseURL)
          credentials: \(credentials)
          retry: { max_attempts: 3, initial_backoff: 10ms, max_backoff: 100ms, multiplier: 2 }
          cache: { ttl: 1s }
          concurrency: 16
        \(extra)
        environments:
          dev:
            projects:
              app:
                project_id: \(Self.project)
                allow_undeclared: true
                secrets: { db-password: {} }
        """
    }

    /// A manager over ``configuration(credentials:extra:)`` on the fixture's test clock;
    /// `HOME` points into the fixture directory so no real gcloud file is found.
    func manager(credentials: String, environment: [String: String] = [:], logger: Logger = Logger(label: "test"))
        throws -> MultiEnvironmentSecretManager
    {
        var processEnvironment = ["HOME": directory.appendingPathComponent("home").path, "GCE_METADATA_TIMEOUT": "10"]
        processEnvironment.merge(environment) { $1 }
        let configuration = try Configuration.parse(
            Array(configuration(credentials: credentials).utf8), file: "test.yaml", environment: processEnvironment,
            directory: directory.path)
        return MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: httpClient, processEnvironment: processEnvironment,
            logger: logger, clock: clock.clock)
    }

    func stats() async -> EmulatorStats {
        await emulator.stats()
    }

    func faults(_ rules: [FaultRule]) async {
        await emulator.setFaults(FaultConfiguration(rules: rules, seed: 1))
    }

    func shutdown() async {
        await emulator.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

extension String {
    /// The forbidden strings (key material, tokens, assertions, fixture secrets) it contains.
    var leaks: [String] { AuthFixture.forbidden.filter { contains($0) } }
}
