import Foundation
import SecretManagerEmulator
import SecretsmithTestSupport
import Testing

/// The built binary against the emulator process with `--auth`: every credential type
/// obtains its token over the real wire formats, refused assertions exit 77 naming the
/// credential source, and no key, assertion or token reaches stderr (CommandRunner checks
/// every run for the sentinel and for credential markers).
@Suite(.serialized) struct AuthEndToEndTests {
    static let sentinel = CommandRunner.sentinel
    static let ci = try! GeneratedServiceAccount(email: "ci@acme-app-dev.iam.gserviceaccount.com")
    static let deployer = "deployer@acme-app-dev.iam.gserviceaccount.com"
    static let runner = "runner@acme-app-dev.iam.gserviceaccount.com"
    static let secretCount = 200

    /// A workspace with the seed (`s001`…`s200`, open to ci@, deployer@ and runner@), the
    /// public key, and a configuration whose credentials are `credentials`.
    func makeWorkspace(credentials: String) throws -> Workspace {
        let workspace = try Workspace()
        try workspace.write("keys/ci.pub.pem", Self.ci.publicKeyPEM)
        var seed = """
            service_accounts:
              \(Self.ci.email):
                private_key_id: "\(Self.ci.privateKeyID)"
                public_key_file: keys/ci.pub.pem
              \(Self.deployer): { token_creators: [ \(Self.ci.email) ] }
            metadata: { service_account: \(Self.runner), project_id: acme-app-dev }
            projects:
              acme-app-dev:
                number: 123456789012
                access: [ \(Self.ci.email), \(Self.deployer), \(Self.runner) ]
                secrets:

            """
        var values = ""
        for index in 1...Self.secretCount {
            let name = String(format: "s%03d", index)
            seed += "      \(name): { versions: [ \"value-\(index)-\(Self.sentinel)\" ] }\n"
            values += "      S\(index): app/\(name)\n"
        }
        try workspace.write("seed.yaml", seed)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              endpoint: ${EMULATOR_URL}
              credentials: \(credentials)
              retry: { max_attempts: 2, initial_backoff: 10ms, max_backoff: 50ms }
            environments:
              dev:
                projects:
                  app:
                    project_id: acme-app-dev
                    allow_undeclared: true
                    secrets: {}
            outputs:
              - name: env
                format: dotenv
                path: out/app.env
                values:
            \(values)
            """)
        return workspace
    }

    /// Runs the binary on a Dispatch thread, not on one of the cooperative pool's few
    /// threads (two on a two-core machine), so in-process tests running alongside are not
    /// starved; then checks stdout and stderr as ``CommandRunner/run`` does.
    func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:],
        stdoutMayHoldValues: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CommandRunner.Result {
        let result = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try CommandRunner.execute([CommandRunner.binary] + arguments, in: directory, environment: environment) })
            }
        }
        for marker in [CommandRunner.sentinel] + CommandRunner.credentialMarkers {
            #expect(!result.stderr.contains(marker), "\(marker) leaked to stderr: \(arguments)", sourceLocation: sourceLocation)
            if !stdoutMayHoldValues {
                #expect(
                    !result.stdoutText.contains(marker), "\(marker) leaked to stdout: \(arguments)", sourceLocation: sourceLocation)
            }
        }
        return result
    }

    func startEmulator(_ workspace: Workspace, _ arguments: [String] = []) throws -> EmulatorProcess {
        try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace, extraArguments: ["--auth"] + arguments)
    }

    /// Writes ci@'s key file with the emulator's token URL.
    func writeKey(_ workspace: Workspace, _ emulator: EmulatorProcess, account: GeneratedServiceAccount = AuthEndToEndTests.ci) throws {
        try workspace.write("keys/ci.json", account.keyFileJSON(tokenURI: "http://\(emulator.host)/token", projectID: "acme-app-dev"))
    }

    func environment(_ emulator: EmulatorProcess, _ workspace: Workspace, _ extra: [String: String] = [:]) -> [String: String] {
        // A generous metadata probe deadline: the whole suite may load the machine.
        [
            "EMULATOR_URL": "http://\(emulator.host)", "HOME": workspace.path("home"), "GOOGLE_APPLICATION_CREDENTIALS": "",
            "GCE_METADATA_TIMEOUT": "10",
        ]
        .merging(extra) { $1 }
    }

    func tokens(_ emulator: EmulatorProcess, _ key: String = "tokens") throws -> [String: Int] {
        try emulator.stats()[key] as? [String: Int] ?? [:]
    }

    /// Selects the JWT-bearer exchange instead of self-signed JWTs.
    static let exchange = ["SECRETSMITH_USE_SELF_SIGNED_JWT": "false"]

    @Test func twoHundredSecretRenderWithAKeyMakesNoTokenRequest() async throws {
        let workspace = try makeWorkspace(credentials: "{ type: service_account_file, path: keys/ci.json }")
        let emulator = try startEmulator(workspace)
        try writeKey(workspace, emulator)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url, environment: environment(emulator, workspace))
        #expect(result.status == 0, "\(result.stderr)")
        let env = String(decoding: try workspace.read("out/app.env"), as: UTF8.self)
        #expect(env.contains("value-200-\(Self.sentinel)"))
        let stats = try emulator.stats()
        #expect(try tokens(emulator) == [:])
        #expect(try tokens(emulator, "tokenRefusals") == [:])
        #expect(EmulatorStats(stats).methods["oauthToken"] == nil)
        // Every access carried a self-signed JWT the emulator verified.
        #expect(stats["selfSignedJWTs"] as? Int == Self.secretCount)
        #expect(EmulatorStats(stats).accessCalls == Self.secretCount)
    }

    @Test func twoHundredSecretRenderMakesOneTokenExchangeWhereSelected() async throws {
        let workspace = try makeWorkspace(credentials: "{ type: service_account_file, path: keys/ci.json }")
        let emulator = try startEmulator(workspace)
        try writeKey(workspace, emulator)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url, environment: environment(emulator, workspace, Self.exchange))
        #expect(result.status == 0, "\(result.stderr)")
        let stats = try emulator.stats()
        #expect(try tokens(emulator) == ["jwt-bearer": 1])
        #expect(stats["selfSignedJWTs"] as? Int == 0)
        #expect(EmulatorStats(stats).accessCalls == Self.secretCount)
    }

    enum JWTRefusal: String, CaseIterable {
        case tamperedSignature, expired
    }

    @Test(arguments: JWTRefusal.allCases)
    func refusedSelfSignedJWTExits77NamingTheKeyFileAndAccount(refusal: JWTRefusal) async throws {
        let workspace = try makeWorkspace(credentials: "{ type: service_account_file, path: keys/ci.json }")
        var arguments: [String] = []
        var account = Self.ci
        let reason: String
        switch refusal {
        case .tamperedSignature:
            account = try GeneratedServiceAccount(email: Self.ci.email, privateKeyID: Self.ci.privateKeyID)
            reason = "signature does not verify"
        case .expired:
            arguments = ["--clock-offset", "2h"]
            reason = "has expired"
        }
        let emulator = try startEmulator(workspace, arguments)
        try writeKey(workspace, emulator, account: account)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url, environment: environment(emulator, workspace))
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("service account key file \(workspace.path("keys/ci.json"))"), "\(result.stderr)")
        #expect(result.stderr.contains(Self.ci.email))
        #expect(result.stderr.contains(reason), "\(result.stderr)")
        let stats = try emulator.stats()
        #expect((stats["selfSignedJWTRefusals"] as? Int ?? 0) >= 1)
        #expect(stats["selfSignedJWTs"] as? Int == 0)
        #expect(try tokens(emulator) == [:])
        #expect(!workspace.exists("out/app.env"))
    }

    enum Refusal: String, CaseIterable {
        case tamperedSignature, wrongAudience, expiredAssertion
    }

    @Test(arguments: Refusal.allCases)
    func refusedAssertionExits77NamingTheKeyFileAndAccount(refusal: Refusal) async throws {
        let workspace = try makeWorkspace(credentials: "{ type: service_account_file, path: keys/ci.json }")
        var arguments: [String] = []
        var account = Self.ci
        switch refusal {
        case .tamperedSignature:
            // Same email and key id, another private key: the signature does not verify.
            account = try GeneratedServiceAccount(email: Self.ci.email, privateKeyID: Self.ci.privateKeyID)
        case .wrongAudience:
            // An emulator that accepts only Google's token URL as audience; the client sends
            // its token_uri, the emulator's own URL.
            arguments = ["--token-audience", "https://oauth2.googleapis.com/token"]
        case .expiredAssertion:
            // The emulator's clock two hours ahead: a fresh assertion has expired there.
            arguments = ["--clock-offset", "2h"]
        }
        let emulator = try startEmulator(workspace, arguments)
        try writeKey(workspace, emulator, account: account)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url, environment: environment(emulator, workspace, Self.exchange))
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("service account key file \(workspace.path("keys/ci.json"))"), "\(result.stderr)")
        #expect(result.stderr.contains(Self.ci.email))
        #expect(result.stderr.contains("invalid_grant"))
        #expect(try tokens(emulator, "tokenRefusals")["jwt-bearer"] == 1)
        #expect(EmulatorStats(try emulator.stats()).accessCalls == 0)
        #expect(!workspace.exists("out/app.env"))
    }

    @Test func metadataServerCredentials() async throws {
        let workspace = try makeWorkspace(credentials: "metadata")
        let emulator = try startEmulator(workspace)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url,
            environment: environment(emulator, workspace, ["GCE_METADATA_HOST": emulator.host]))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try tokens(emulator) == ["metadata": 1])
    }

    @Test func impersonationThroughIAMCredentials() async throws {
        let workspace = try makeWorkspace(
            credentials: """
                { type: impersonate, target_service_account: \(Self.deployer), lifetime: 15m, \
                source: { type: service_account_file, path: keys/ci.json } }
                """)
        let emulator = try startEmulator(workspace)
        try writeKey(workspace, emulator)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url,
            environment: environment(emulator, workspace, ["SECRETSMITH_IAM_CREDENTIALS_ENDPOINT": "http://\(emulator.host)"]))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try tokens(emulator) == ["jwt-bearer": 1, "generateAccessToken": 1])
        let records = try emulator.request("GET", "/_emulator/impersonations") as? [[String: Any]] ?? []
        #expect(records.count == 1)
        #expect(records.first?["caller"] as? String == Self.ci.email)
        #expect(records.first?["target"] as? String == Self.deployer)
        #expect(records.first?["lifetime"] as? String == "900s")
        #expect(records.first?["scope"] as? [String] == ["https://www.googleapis.com/auth/cloud-platform"])
    }

    @Test func absentMetadataServerExits77ListingWhatADCTried() async throws {
        let workspace = try makeWorkspace(credentials: "adc")
        let emulator = try startEmulator(workspace)
        let closed = try ClosedPort()
        let port = closed.port
        let result = try await run(
            ["render", "--env", "dev"], in: workspace.url,
            // A generous probe deadline: a refused connection answers at once, and the 1 s
            // default was exceeded by a loaded test run ("did not answer" instead of refused).
            environment: environment(emulator, workspace, ["GCE_METADATA_HOST": "127.0.0.1:\(port)", "GCE_METADATA_TIMEOUT": "10"]))
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("GOOGLE_APPLICATION_CREDENTIALS is unset"), "\(result.stderr)")
        #expect(result.stderr.contains("no gcloud credentials file at \(workspace.path("home"))/.config/gcloud/"))
        #expect(result.stderr.contains("Nothing is listening at 127.0.0.1:\(port), where the metadata server would answer"))
        #expect(!result.stderr.contains("errno"), "\(result.stderr)")
        #expect(EmulatorStats(try emulator.stats()).accessCalls == 0)
        withExtendedLifetime(closed) {}
    }

    @Test func exampleAuthConfigurationRendersWithAGeneratedKeyAsTheDemoDoes() async throws {
        let workspace = try Workspace()
        try FileManager.default.copyItem(
            at: CommandRunner.packageRoot.appendingPathComponent("examples"), to: workspace.url.appendingPathComponent("examples"))
        let account = "demo-renderer@acme-billing-dev.iam.gserviceaccount.com"
        let generated = try await run(
            [
                "emulator", "--generate-service-account", account, "--key-file", "demo-sa.json",
                "--public-key-file", "demo-sa.pub.pem", "--token-uri", "http://127.0.0.1:PORT/token",
            ],
            in: workspace.url)
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(try workspace.mode("demo-sa.json") == 0o600)
        let seed = String(decoding: try workspace.read("examples/emulator-seed.yaml"), as: UTF8.self)
            + "service_accounts:\n  \(account): { public_key_file: demo-sa.pub.pem }\n"
        try workspace.write("auth-seed.yaml", seed)
        let emulator = try EmulatorProcess(seed: workspace.path("auth-seed.yaml"), in: workspace, extraArguments: ["--auth"])
        let key = String(decoding: try workspace.read("demo-sa.json"), as: UTF8.self)
            .replacingOccurrences(of: "http://127.0.0.1:PORT/token", with: "http://\(emulator.host)/token")
        try workspace.write("demo-sa.json", key)
        let result = try await run(
            ["render", "--config", "examples/secretsmith-auth.yaml", "--env", "dev"], in: workspace.url,
            environment: ["DEMO_ENDPOINT": "http://\(emulator.host)", "DEMO_KEY_FILE": workspace.path("demo-sa.json")])
        #expect(result.status == 0, "\(result.stderr)")
        let env = String(decoding: try workspace.read("out/auth/app.env"), as: UTF8.self)
        #expect(env.contains("DATABASE_PASSWORD="))
        #expect(try tokens(emulator) == [:])
        #expect((try emulator.stats()["selfSignedJWTs"] as? Int ?? 0) >= 1)
    }

    @Test func requestsWithoutATokenAreRefusedWith401() async throws {
        let workspace = try makeWorkspace(credentials: "adc")
        let emulator = try startEmulator(workspace)
        // SECRET_MANAGER_EMULATOR_HOST means "no credentials": an emulator with --auth refuses.
        let result = try await run(
            ["get", "dev/app/s001"], in: workspace.url,
            environment: environment(emulator, workspace, ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]),
            stdoutMayHoldValues: true)
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("UNAUTHENTICATED"))
    }
}
