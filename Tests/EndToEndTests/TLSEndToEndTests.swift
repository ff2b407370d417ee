import Foundation
import SecretsmithTestSupport
import Testing

/// `secretsmith emulator --tls` and a render over HTTPS with HTTP/2, from the built binary.
@Suite struct TLSEndToEndTests {
    static let sentinel = StandardSeed.sentinel
    static let count = 30

    /// A workspace with a seed of `count` secrets, an HTTPS emulator writing its certificate
    /// to `ca.pem`, and `secretsmith.yaml` trusting it (`tls.ca_file`, relative) unless `trust` is false.
    func withTLSWorkspace(_ body: (Workspace, EmulatorProcess) throws -> Void) throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        var seed = SeedBuilder()
        for index in 1...Self.count {
            seed.add(project: "acme-app-dev", secret: "s\(index)", value: "v\(index)-\(Self.sentinel)")
        }
        try workspace.write("seed.yaml", seed.yaml)
        try withEmulatorProcess(
            seed: workspace.path("seed.yaml"), in: workspace, extraArguments: ["--tls", "--cert-out", workspace.path("ca.pem")]
        ) { emulator in
            try body(workspace, emulator)
        }
    }

    func configuration(port: Int, trust: Bool) -> String {
        var lines = [
            "version: 1", "defaults:", "  endpoint: https://127.0.0.1:\(port)",
            "  credentials: { type: access_token_env, env: TLS_TEST_TOKEN }",
            "  retry: { max_attempts: 2, initial_backoff: 10ms, max_backoff: 20ms }",
        ]
        if trust { lines.append("  tls: { ca_file: ca.pem }") }
        lines += [
            "environments:", "  dev:", "    projects:", "      app: { project_id: acme-app-dev, allow_undeclared: true }",
            "outputs:", "  - name: env", "    format: dotenv", "    path: out/app.env", "    values:",
        ]
        lines += (1...Self.count).map { "      S\($0): app/s\($0)" }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func rendersOverHTTPSTrustingTheWrittenCertificate() throws {
        try withTLSWorkspace { workspace, emulator in
            let log = try String(decoding: workspace.read("emulator.log"), as: UTF8.self)
            #expect(log.contains("listening on https://127.0.0.1:\(emulator.port)"))
            #expect(try workspace.mode("ca.pem") == 0o644)
            let certificate = try String(decoding: workspace.read("ca.pem"), as: UTF8.self)
            #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
            #expect(!certificate.contains("PRIVATE KEY"))

            try workspace.write("secretsmith.yaml", configuration(port: emulator.port, trust: true))
            let environment = ["TLS_TEST_TOKEN": "test-token"]
            let render = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url, environment: environment)
            #expect(render.status == 0, "\(render.stderr)")
            let written = try String(decoding: workspace.read("out/app.env"), as: UTF8.self)
            for index in 1...Self.count {
                #expect(written.contains("S\(index)='v\(index)-\(Self.sentinel)'"))
            }

            let explain = try CommandRunner.run(
                ["explain", "--env", "dev", "app/s1"], in: workspace.url, environment: environment)
            #expect(explain.status == 0)
            #expect(explain.stdoutText.contains(workspace.path("ca.pem")))
        }
    }

    @Test func anUntrustedCertificateFailsPromptlyNamingTheEndpoint() throws {
        try withTLSWorkspace { workspace, emulator in
            try workspace.write("secretsmith.yaml", configuration(port: emulator.port, trust: false))
            let started = Date()
            let render = try CommandRunner.run(
                ["render", "--env", "dev"], in: workspace.url, environment: ["TLS_TEST_TOKEN": "test-token"])
            // Generous: a hang would wait the 10 s timeout per attempt and secret.
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(render.status == 69, "\(render.stderr)")
            #expect(render.stderr.contains("127.0.0.1:\(emulator.port)"))
            #expect(render.stderr.contains("not trusted"))
            #expect(!workspace.exists("out/app.env"))
        }
    }

    @Test func aCAFileThatIsNotPEMIsALocatedConfigurationError() throws {
        try withTLSWorkspace { workspace, emulator in
            try workspace.write("not-a-cert.pem", "hello\n")
            try workspace.write(
                "secretsmith.yaml",
                configuration(port: emulator.port, trust: true).replacingOccurrences(of: "ca.pem", with: "not-a-cert.pem"))
            let render = try CommandRunner.run(
                ["render", "--env", "dev"], in: workspace.url, environment: ["TLS_TEST_TOKEN": "test-token"])
            #expect(render.status == 65)
            #expect(render.stderr.contains("secretsmith.yaml:6:"))
            #expect(render.stderr.contains("holds no PEM certificate"))
        }
    }

    @Test func emulatorRefusesHalfATLSConfiguration() throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let onlyCert = try CommandRunner.run(["emulator", "--port", "0", "--cert", "x.pem"], in: workspace.url)
        #expect(onlyCert.status == 64)
        #expect(onlyCert.stderr.contains("--cert and --key go together"))
        let plainOut = try CommandRunner.run(["emulator", "--port", "0", "--cert-out", "x.pem"], in: workspace.url)
        #expect(plainOut.status == 64)
        #expect(plainOut.stderr.contains("--cert-out needs --tls"))
        try workspace.write("bad.pem", "nope\n")
        let badFiles = try CommandRunner.run(
            ["emulator", "--port", "0", "--cert", "bad.pem", "--key", "bad.pem"], in: workspace.url)
        #expect(badFiles.status == 64)
        #expect(badFiles.stderr.contains("holds no PEM certificate"))
    }
}
