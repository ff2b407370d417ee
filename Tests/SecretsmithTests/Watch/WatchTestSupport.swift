import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing
@testable import Secretsmith

/// An in-process Secret Manager emulator, a directory for outputs and a watch engine over
/// them, for the engine tests.
struct WatchSetup: Sendable {
    let fixture: EmulatorFixture
    let directory: URL
    let manager: MultiEnvironmentSecretManager
    let refreshes: Refreshes

    /// acme-app-dev's project number in ``StandardSeed``: events name projects by number.
    static let projectNumber = "424242424242"

    /// `config` (latest, one version) and `api-key` (alias `current` → 1) of acme-app-dev.
    static func configuration(directory: URL, watch: String = "") -> String {
        """
        version: 1
        defaults:
          retry: { max_attempts: 1 }
          circuit_breaker: { recovery_timeout: 1s }
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                secrets:
                  config: {}
                  api-key: { version: current }
                  pinned: { secret_id: config, version: "1" }
        outputs:
          - name: config
            format: dotenv
            path: \(directory.path)/config.env
            values: { CONFIG: dev/app/config }
          - name: key
            format: dotenv
            path: \(directory.path)/key.env
            values: { KEY: dev/app/api-key }
          - name: pinned
            format: dotenv
            path: \(directory.path)/pinned.env
            values: { PINNED: dev/app/pinned }
        """
    }

    static func with<T>(_ body: (WatchSetup) async throws -> T) async throws -> T {
        try await withEmulator { fixture in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // The real clock: the engine's backoff and the breaker's recovery take real time here.
            let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
            let manager = MultiEnvironmentSecretManager(
                configuration: try Configuration.parse(
                    Array(configuration(directory: directory).utf8), file: directory.path + "/secretsmith.yaml",
                    environment: environment, directory: directory.path),
                httpClient: fixture.httpClient, processEnvironment: environment)
            return try await body(WatchSetup(fixture: fixture, directory: directory, manager: manager, refreshes: Refreshes()))
        }
    }

    func engine(
        _ settings: WatchSettings, sources: WatchEngine.Sources = .init(subscriptions: []),
        random: @escaping @Sendable (Duration) -> Duration = WatchEngine.uniformDelay,
        clock: SecretManagerClock = .continuous
    ) -> WatchEngine {
        let refreshes = self.refreshes
        return WatchEngine(
            pipeline: RenderPipeline(manager: manager, processEnvironment: [:]),
            options: RenderPipeline.Options(environment: "dev"), settings: settings, sources: sources,
            logger: Logger(label: "watch-test"), clock: clock, random: random
        ) { refresh in
            await refreshes.append(refresh)
        }
    }

    func file(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    func calls(_ method: EmulatorMethod) async -> Int {
        await fixture.emulator.stats().count(method)
    }

    /// `POST …/secrets/S:addVersion`, as a deployer rotating the secret would.
    func addVersion(_ secret: String, payload: String) async throws {
        try await post(
            "projects/acme-app-dev/secrets/\(secret):addVersion",
            body: #"{"payload":{"data":"\#(Data(payload.utf8).base64EncodedString())"}}"#)
    }

    /// `POST …/versions/N:disable` (or `:enable`).
    func setVersion(_ secret: String, _ version: Int, enabled: Bool) async throws {
        try await post(
            "projects/acme-app-dev/secrets/\(secret)/versions/\(version):\(enabled ? "enable" : "disable")", body: "{}")
    }

    private func post(_ path: String, body: String) async throws {
        var request = HTTPClientRequest(url: "http://\(fixture.host)/v1/\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await fixture.httpClient.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .ok, "POST \(path)")
    }

    /// A Secret Manager event notification about `secret` of acme-app-dev, as Google sends it.
    static func event(_ type: String, secret: String = "config", version: Int? = nil, state: String = "ENABLED")
        -> PubSubMessage
    {
        let secretName = "projects/\(projectNumber)/secrets/\(secret)"
        var attributes = [
            "eventType": type, "dataFormat": "JSON_API_V1", "secretId": secretName,
            "timestamp": "2026-12-01T19:00:00.000000Z",
        ]
        var data = #"{"name":"\#(secretName)"}"#
        if let version {
            let name = "\(secretName)/versions/\(version)"
            attributes["versionId"] = name
            data = #"{"name":"\#(name)","createTime":"2026-12-01T19:00:00Z","state":"\#(state)"}"#
        }
        return PubSubMessage(data: Array(data.utf8), attributes: attributes)
    }

    static func received(_ message: PubSubMessage, id: String) -> ReceivedMessage {
        var message = message
        message.messageID = id
        return ReceivedMessage(ackID: "ack-\(id)", message: message)
    }
}

/// The refreshes an engine reported, in order.
actor Refreshes {
    private(set) var all: [WatchEngine.Refresh] = []

    func append(_ refresh: WatchEngine.Refresh) { all.append(refresh) }

    /// Waits until at least `count` refreshes were reported, at most `timeout` (a bound
    /// only a hang reaches), and returns them.
    func wait(for count: Int, timeout: Duration = .seconds(30)) async throws -> [WatchEngine.Refresh] {
        let deadline = ContinuousClock.now + timeout
        while all.count < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("waited \(timeout) for \(count) refreshes, saw \(all.count)")
                return all
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return all
    }
}
