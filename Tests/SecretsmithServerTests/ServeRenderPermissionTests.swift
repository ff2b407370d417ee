import AsyncHTTPClient
import Foundation
import Logging
import Secretsmith
import SecretsmithTestSupport
import ServiceLifecycle
import Testing

@testable import SecretsmithServer

/// The render route decides the caller's permission before telling anything about the
/// output, maps failures as the references route does, and renders outputs whose path
/// uses `${SECRETSMITH_ENV}` for `?environment=`.
@Suite struct ServeRenderPermissionTests {
    /// The harness configuration plus an output with relative references and no
    /// environment, one with an invalid template, and one whose path needs the active
    /// environment.
    static func configuration(template: String) -> String {
        ServeHarness.configuration + """

              - name: relative
                path: relative.env
                format: dotenv
                values:
                  API_KEY: app/api-key
              - name: broken
                path: broken.txt
                format: template
                environment: dev
                template: \(template)
              - name: per-env
                path: out/${SECRETSMITH_ENV}/app.env
                format: dotenv
                values:
                  API_KEY: app/api-key
            """
    }

    static func withTemplate<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let template = directory.appendingPathComponent("broken.tmpl").path
        try "key=<< secret \"app/api-key\" | nosuchfilter >>\n".write(toFile: template, atomically: true, encoding: .utf8)
        return try await body(template)
    }

    @Test func aCallerWithoutPermissionLearnsNothingAboutADeclaredOutput() async throws {
        try await Self.withTemplate { template in
            try await withServer(configuration: Self.configuration(template: template)) { harness in
                let undeclared = try await harness.send("POST", "/v1/outputs/nope:render", token: "nobody-token")
                #expect(undeclared.status == 403)
                func same(_ path: String, _ name: String, token: String = "nobody-token", _ comment: Comment) async throws {
                    let answer = try await harness.send("POST", path, token: token)
                    #expect(answer.status == 403, comment)
                    #expect(
                        answer.text.replacingOccurrences(of: name, with: "nope") == undeclared.text, "\(comment): \(answer.text)")
                }
                // Needs an active environment; an invalid template; a wrongly cased parameter.
                try await same("/v1/outputs/relative:render", "relative", "no active environment")
                try await same("/v1/outputs/broken:render", "broken", "invalid template")
                try await same("/v1/outputs/relative:render?Environment=dev", "relative", "unknown parameter")
                // A caller whose rules allow nothing in the environment asked.
                let prod = try await harness.send("POST", "/v1/outputs/relative:render?environment=dev", token: "prod-token")
                #expect(prod.status == 403, "\(prod.text)")
                #expect(!prod.text.contains("declared"))

                // A permitted caller is told what is wrong, without the template's path.
                let relative = try await harness.send("POST", "/v1/outputs/relative:render")
                #expect(relative.status == 400, "\(relative.text)")
                #expect(relative.text.contains("No active environment"))
                #expect(relative.text.contains("pass ?environment=ENV or set environment: on the output"), "\(relative.text)")
                let broken = try await harness.send("POST", "/v1/outputs/broken:render")
                #expect(broken.status == 400, "\(broken.text)")
                #expect(broken.errorStatus == "FAILED_PRECONDITION")
                #expect(!broken.text.contains(template))
                #expect(broken.text.contains("line 1"), "\(broken.text)")
                let cased = try await harness.send("POST", "/v1/outputs/relative:render?Environment=dev")
                #expect(cased.status == 400, "\(cased.text)")
                #expect(cased.text.contains("\\\"Environment\\\""))
                let twice = try await harness.send("POST", "/v1/outputs/relative:render?environment=dev&environment=prod")
                #expect(twice.status == 400, "\(twice.text)")
                #expect(twice.text.contains("\\\"environment\\\" is given 2 times"))
                let rendered = try await harness.send("POST", "/v1/outputs/relative:render?environment=dev")
                #expect(rendered.status == 200, "\(rendered.text)")
                #expect(await harness.fixture.accessCalls() > 0)
            }
        }
    }

    @Test func anOutputPathWithTheActiveEnvironmentRendersForTheGivenEnvironment() async throws {
        try await Self.withTemplate { template in
            try await withServer(configuration: Self.configuration(template: template)) { harness in
                let rendered = try await harness.send("POST", "/v1/outputs/per-env:render?environment=dev")
                #expect(rendered.status == 200, "\(rendered.text)")
                #expect(rendered.text.hasPrefix("API_KEY="))
                let unnamed = try await harness.send("POST", "/v1/outputs/per-env:render")
                #expect(unnamed.status == 400, "\(unnamed.text)")
                #expect(unnamed.text.contains("No environment selected: pass ?environment=ENV."), "\(unnamed.text)")
            }
        }
    }

    @Test func aSentenceThatStartsWithAFilePathKeepsItAsWritten() {
        #expect(ServeError.sentence("serve5.yaml:3:5: environment variable X is not set").hasPrefix("serve5.yaml:3:5:"))
        #expect(ServeError.sentence("relative/t.tmpl: bad") == "relative/t.tmpl: bad.")
        #expect(ServeError.sentence("no active environment") == "No active environment.")
        #expect(ServeError.sentence("error: x") == "Error: x.")
    }

    /// Serve with an environment whose credentials cannot be obtained (no emulator).
    @Test func aCredentialsFailureOnRenderIsUnavailableAndShort() async throws {
        let text = """
            version: 1
            defaults:
              credentials: { type: service_account_json, json_env: SECRETSMITH_TEST_NO_SUCH_KEY }
              endpoint: http://127.0.0.1:9
              retry: { max_attempts: 1 }
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    secrets: { a: {}, b: {}, c: {} }
            serve:
              policy:
                - principals: ["token:ci"]
                  allow: ["dev/*/*"]
            outputs:
              - name: env
                format: dotenv
                path: app.env
                environment: dev
                values: { A: app/a, B: app/b, C: app/c }
            """
        let configuration = try Configuration.parse(Array(text.utf8), file: "/tmp/creds.yaml", environment: [:], directory: "/tmp")
        let manager = MultiEnvironmentSecretManager(configuration: configuration, processEnvironment: [:])
        let server = SecretServer(
            configuration: configuration, manager: manager, authenticators: [TableAuthenticator(principals: ServeHarness.tokens)],
            registry: nil, auditLogger: Logger(label: "audit", factory: { _ in SwiftLogNoOpLogHandler() }), processEnvironment: [:])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try server.makeApplication(
            listen: .init(host: "127.0.0.1", port: 0), certificates: nil,
            serverLogger: Logger(label: "s", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { continuation.yield($0) }
        let group = ServiceGroup(
            configuration: .init(services: [application], logger: Logger(label: "g", factory: { _ in SwiftLogNoOpLogHandler() })))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        func send(_ path: String, method: String) async throws -> EmulatorHarness.Answer {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = .init(rawValue: method)
            request.headers.add(name: "Authorization", value: "Bearer ci-token")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            return EmulatorHarness.Answer(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView))
        }
        let reference = try await send("/v1/references/dev/app/a", method: "GET")
        let render = try await send("/v1/outputs/env:render", method: "POST")
        await group.triggerGracefulShutdown()
        _ = await task.result
        #expect(reference.status == 503, "\(reference.text)")
        #expect(render.status == 503, "\(render.text)")
        #expect(render.errorStatus == "UNAVAILABLE")
        #expect(render.body.count < 600, "\(render.text)")
        #expect(!render.text.contains("/tmp/creds.yaml"))
        #expect(!render.text.contains("app/b"))
    }
}
