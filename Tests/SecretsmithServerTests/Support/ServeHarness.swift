import AsyncHTTPClient
import Foundation
import Hummingbird
import InMemoryLogging
import Logging
import NIOCore
import Prometheus
import SecretManagerEmulator
import Secretsmith
import SecretsmithServer
import SecretsmithTestSupport
import ServiceLifecycle
import Testing

/// A test-only authenticator: a fixed table of tokens. `unavailable-token` is refused as
/// "keys cannot be fetched" (503), `rejected-token` as recognised but invalid (401); any
/// other token is not recognised.
struct TableAuthenticator: BearerTokenAuthenticator {
    var principals: [String: Principal]

    func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal? {
        if bearerToken == "unavailable-token" {
            throw BearerTokenRejection(reason: "the issuer's keys cannot be fetched", isUnavailable: true)
        }
        if bearerToken == "rejected-token" {
            throw BearerTokenRejection(reason: "the token has expired")
        }
        return principals[bearerToken]
    }
}

/// `secretsmith serve` in-process on a free loopback port, in front of the in-process
/// emulator, with its audit log in memory and its own metrics registry.
struct ServeHarness: Sendable {
    let fixture: EmulatorFixture
    let server: SecretServer
    let port: Int
    let logs: InMemoryLogHandler
    let registry: PrometheusCollectorRegistry
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// The configuration the server tests use: the standard seed's projects, a `serve:`
    /// section with three tokens and their rules.
    static let configuration = StandardSeed.configuration + """

        serve:
          required_header: X-Secretsmith-Request
          shutdown_grace_period: 10s
          policy:
            - principals: ["token:ci"]
              allow: ["dev/*/*"]
            - principals: ["token:prod-reader"]
              allow: ["prod/app/db-password"]
              rate_limit: { requests_per_second: 0.01, burst: 2 }
            - principals: ["token:narrow"]
              allow: ["dev/app/api-key", "dev/eu/*"]
        outputs:
          - name: app-env
            path: app.env
            format: dotenv
            environment: dev
            values:
              DB_PASSWORD: app/db-password@1
              API_KEY: app/api-key
          - name: mixed
            path: mixed.env
            format: dotenv
            environment: dev
            values:
              API_KEY: app/api-key
              PASSWORD: app/db-password@1
        """

    static let tokens: [String: Principal] = [
        "ci-token": .staticToken(named: "ci"),
        "prod-token": .staticToken(named: "prod-reader"),
        "narrow-token": .staticToken(named: "narrow"),
        "nobody-token": .staticToken(named: "nobody"),
    ]

    static func start(configuration text: String = configuration, fixture: EmulatorFixture) async throws -> ServeHarness {
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host]
        let configuration = try Configuration.parse(
            Array(text.utf8), file: "/tmp/serve-test.yaml", environment: environment, directory: "/tmp")
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: fixture.httpClient, processEnvironment: environment)
        let logs = InMemoryLogHandler()
        let registry = PrometheusCollectorRegistry()
        let server = SecretServer(
            configuration: configuration, manager: manager, authenticators: [TableAuthenticator(principals: tokens)],
            registry: registry, metricsFactory: PrometheusMetricsFactory(registry: registry),
            auditLogger: Logger(label: "audit", factory: { _ in logs }), processEnvironment: environment)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try server.makeApplication(
            listen: .init(host: "127.0.0.1", port: 0), certificates: nil,
            serverLogger: Logger(label: "server", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { port in continuation.yield(port) }
        var groupConfiguration = ServiceGroupConfiguration(services: [application], logger: Logger(label: "group", factory: { _ in SwiftLogNoOpLogHandler() }))
        groupConfiguration.maximumGracefulShutdownDuration = configuration.serve?.shutdownGracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var port: Int?
        for await bound in ports {
            port = bound
            break
        }
        guard let port else {
            _ = await task.result
            throw HarnessError(message: "the server stopped before listening")
        }
        return ServeHarness(
            fixture: fixture, server: server, port: port, logs: logs, registry: registry, group: group, task: task)
    }

    struct HarnessError: Error { var message: String }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    /// Sends a request with the SSRF header and the token (unless `nil`).
    func send(
        _ method: String = "GET", _ path: String, token: String? = "ci-token", guardHeader: Bool = true,
        headers: [(String, String)] = []
    ) async throws -> EmulatorHarness.Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        if guardHeader { request.headers.add(name: "X-Secretsmith-Request", value: "1") }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        return EmulatorHarness.Answer(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(body.readableBytesView))
    }

    /// The audit events so far.
    var auditEvents: [InMemoryLogHandler.Entry] { logs.entries.filter { $0.message.description == "request" } }

    /// Everything the audit log holds, as text (messages and metadata).
    var auditText: String {
        logs.entries.map { "\($0.message) \($0.metadata.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))" }
            .joined(separator: "\n")
    }

    /// Requests being answered now (the in-flight gauge).
    func inFlight() -> Int {
        let line = metricsText().split(separator: "\n").first { $0.hasPrefix("secretsmith_serve_requests_in_flight ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    /// The `/metrics` exposition.
    func metricsText() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs `body` with the emulator and a server in front of it, and stops both.
func withServer<Result>(
    configuration: String = ServeHarness.configuration, _ body: (ServeHarness) async throws -> Result
) async throws -> Result {
    try await withEmulator { fixture in
        let harness = try await ServeHarness.start(configuration: configuration, fixture: fixture)
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }
}
