import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import Secretsmith
import SecretsmithServer

/// `serve-routing`: one request through `secretsmith serve`'s router and middleware, in
/// process (no socket): routes, percent-decoding, resource names and references, the
/// required header, authentication, policy, and the errors of the manager behind it.
///
/// Input: byte 0 holds flags (bit 0: POST instead of GET; bit 1: send the token of a
/// principal the policy lets read `dev/app/*`; bit 2: send the required header; bit 3: send
/// an unknown token); then the request target (path and query) up to the first `\n`; the
/// rest is the body. Secret Manager is a closed loopback port: an allowed read fails once,
/// then its circuit breaker answers at once (no retry waits).
///
/// Properties: no request is answered 500 (an unexpected error); a request to a guarded
/// route without the valid token is never answered 2xx; the audit log never contains a
/// bearer token.
enum ServeRoutingFuzzing {
    static let token = "fuzz-token-Qx91"
    static let unknownToken = "unknown-token-Qx92"
    static let configuration = """
        version: 1
        defaults:
          retry: { max_attempts: 1 }
          circuit_breaker: { failure_rate_threshold: 100%, minimum_calls: 1, recovery_timeout: 1h, half_open_calls: 1 }
        environments:
          dev:
            projects:
              app:
                project_id: fuzz-project
                secrets:
                  db-password: {}
                  api-key: { version: "2" }
                  config: { secret_id: app-config }
              eu:
                project_id: fuzz-project
                location: europe-west1
                allow_undeclared: true
                secrets:
                  regional: {}
          prod:
            projects:
              app:
                project_id: fuzz-project-prod
                secrets:
                  db-password: {}
        serve:
          required_header: X-Secretsmith-Request
          policy:
            - principals: ["token:fuzz"]
              allow: ["dev/app/*"]
        outputs:
          - name: app-env
            path: app.env
            format: dotenv
            environment: dev
            values:
              DB_PASSWORD: app/db-password@1
              API_KEY: app/api-key
          - name: prod-env
            path: prod.env
            format: json
            environment: prod
            values:
              DB_PASSWORD: app/db-password
        """

    struct FixedTokens: BearerTokenAuthenticator {
        func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal? {
            bearerToken == ServeRoutingFuzzing.token ? .staticToken(named: "fuzz") : nil
        }
    }

    struct Setup: Sendable {
        var responder: RouterResponder<ServeRequestContext>
        var audit: RecordingLogHandler
        /// The request contexts' channel, one for every request: the context reads only its
        /// allocator and addresses. (An `EmbeddedChannel` per request that is never closed
        /// stays alive in a reference cycle with its pipeline: the target grew by that much
        /// per execution.)
        var channel: EmbeddedChannel
    }

    struct AuditHandler: LogHandler {
        let sink: RecordingLogHandler
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.message) \(all)")
        }
    }

    static let setup: Setup = {
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:1", "HOME": "/home/fuzz"]
        let configuration = try! Configuration.parse(
            Array(Self.configuration.utf8), file: "/fuzz/serve.yaml", environment: environment, directory: "/fuzz")
        let httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: MultiEnvironmentSecretManager.recommendedHTTPClientConfiguration(concurrency: 4))
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: httpClient, processEnvironment: environment)
        let audit = RecordingLogHandler()
        let server = SecretServer(
            configuration: configuration, manager: manager, authenticators: [FixedTokens()], registry: nil,
            auditLogger: Logger(label: "audit", factory: { _ in AuditHandler(sink: audit) }),
            processEnvironment: environment)
        return Setup(responder: server.makeRouter().buildResponder(), audit: audit, channel: EmbeddedChannel())
    }()

    /// The routes without the API guard, as path components (the router ignores empty
    /// components: `/readyz//` is `/readyz`).
    static let unguarded: Set<[String]> = [["healthz"], ["readyz"], ["metrics"], ["v1", "events", "pubsub"]]

    static func run(_ bytes: [UInt8]) async throws(PropertyViolation) {
        let flags = bytes.first ?? 0
        let rest = bytes.dropFirst()
        let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
        var target = String(decoding: rest[..<newline], as: UTF8.self)
        if !target.hasPrefix("/") { target = "/" + target }
        let body = newline < rest.endIndex ? Array(rest[(newline + 1)...]) : []

        var fields = HTTPFields()
        if flags & 2 != 0 { fields[.authorization] = "Bearer \(token)" }
        if flags & 8 != 0 { fields[.authorization] = "Bearer \(unknownToken)" }
        if flags & 4 != 0 { fields[HTTPFields.Element.Name("X-Secretsmith-Request")!] = "1" }
        let head = HTTPRequest(
            method: flags & 1 != 0 ? .post : .get, scheme: "http", authority: "localhost", path: target,
            headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body)))
        let setup = Self.setup
        let context = ServeRequestContext(
            source: ApplicationRequestContextSource(
                channel: setup.channel, logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })))
        let status: Int
        do {
            status = Int(try await setup.responder.respond(to: request, context: context).status.code)
        } catch {
            throw PropertyViolation("the router threw \(type(of: error)) past the middleware for \(target.debugDescription)")
        }
        let audit = setup.audit.drain()
        guard status != 500 else {
            throw PropertyViolation("\(head.method) \(target.debugDescription) was answered 500: \(audit.last ?? "")")
        }
        let components = request.uri.path.split(separator: "/").map(String.init)
        if flags & 2 == 0 || flags & 8 != 0, !unguarded.contains(components), (200..<300).contains(status) {
            throw PropertyViolation("\(head.method) \(target.debugDescription) without the valid token was answered \(status)")
        }
        for line in audit where line.contains(token) || line.contains(unknownToken) {
            throw PropertyViolation("the audit log has a bearer token: \(line)")
        }
    }
}
