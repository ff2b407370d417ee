import Foundation
import SecretsmithTestSupport
import Testing

/// Workload identity federation as a CI job runs it: a credentials file in the layout
/// `google-github-actions/auth` writes (file-sourced here, as on any CI with an OIDC token
/// file), `GOOGLE_APPLICATION_CREDENTIALS` pointing at it, the built binary against the
/// emulator process with `--auth`. Google's own `google-auth` library exchanges the same
/// file at the same emulator, so the emulator's Security Token Service is one Google's
/// clients accept.
@Suite(.serialized) struct WorkloadIdentityFederationEndToEndTests {
    static let sentinel = CommandRunner.sentinel
    static let audience = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github/providers/actions"
    static let pool = "projects/123456789012/locations/global/workloadIdentityPools/github"
    static let subject = "repo:acme/app:ref:refs/heads/main"
    /// Starts with `eyJ` like every JWT, so CommandRunner's marker check covers it too.
    static let subjectToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.github-oidc-\(sentinel).c2lnbmF0dXJl"
    static let deployer = "deployer@acme-app-dev.iam.gserviceaccount.com"
    static let secretCount = 25

    /// The seed (provider, deployer@ impersonable by the pool, secrets readable by
    /// deployer@ only), the configuration (`credentials: adc`), the OIDC token file and
    /// the credentials file.
    func makeWorkspace(token: String = subjectToken) throws -> Workspace {
        let workspace = try Workspace()
        var seed = """
            workload_identity_providers:
              \(Self.audience):
                subject_token_type: urn:ietf:params:oauth:token-type:jwt
                subject_tokens: [ { token: "\(Self.subjectToken)", subject: "\(Self.subject)" } ]
            service_accounts:
              \(Self.deployer): { token_creators: [ "principalSet://iam.googleapis.com/\(Self.pool)/*" ] }
            projects:
              acme-app-dev:
                number: 123456789012
                access: [ \(Self.deployer) ]
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
              credentials: adc
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
        try workspace.write("runner/github-oidc.json", #"{"count": 1, "value": "\#(token)"}"#)
        return workspace
    }

    /// The credentials file with the emulator's STS and IAM Credentials URLs (the action
    /// writes Google's `https://sts.googleapis.com/v1/token` and
    /// `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken`).
    func writeCredentials(_ workspace: Workspace, _ emulator: EmulatorProcess) throws -> String {
        let object: [String: Any] = [
            "type": "external_account",
            "audience": Self.audience,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": "http://\(emulator.host)/v1/token",
            "service_account_impersonation_url":
                "http://\(emulator.host)/v1/projects/-/serviceAccounts/\(Self.deployer):generateAccessToken",
            "credential_source": [
                "file": workspace.path("runner/github-oidc.json"),
                "format": ["type": "json", "subject_token_field_name": "value"],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return try workspace.write("runner/gha-creds-5f0c1e2d3b4a.json", String(decoding: data, as: UTF8.self))
    }

    func environment(_ emulator: EmulatorProcess, _ workspace: Workspace, credentials: String) -> [String: String] {
        [
            "EMULATOR_URL": "http://\(emulator.host)", "HOME": workspace.path("home"),
            "GOOGLE_APPLICATION_CREDENTIALS": credentials, "GCE_METADATA_HOST": "127.0.0.1:9",
        ]
    }

    func run(_ arguments: [String], in workspace: Workspace, environment: [String: String]) async throws -> CommandRunner.Result {
        let directory = workspace.url
        let result = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        try CommandRunner.execute([CommandRunner.binary] + arguments, in: directory, environment: environment)
                    })
            }
        }
        for marker in [Self.sentinel, Self.subjectToken] + CommandRunner.credentialMarkers {
            #expect(!result.stderr.contains(marker), "\(marker) leaked to stderr: \(result.stderr)")
            #expect(!result.stdoutText.contains(marker), "\(marker) leaked to stdout")
        }
        return result
    }

    @Test func aGitHubActionsCredentialsFileMakesOneExchangeOneImpersonationThenReads() async throws {
        let workspace = try makeWorkspace()
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace, extraArguments: ["--auth"])
        let credentials = try writeCredentials(workspace, emulator)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace, environment: environment(emulator, workspace, credentials: credentials))
        #expect(result.status == 0, "\(result.stderr)")
        let env = String(decoding: try workspace.read("out/app.env"), as: UTF8.self)
        #expect(env.contains("S25='value-25-\(Self.sentinel)'"), "\(env)")
        let stats = try emulator.stats()
        #expect(stats["tokens"] as? [String: Int] == ["sts": 1, "generateAccessToken": 1])
        #expect(EmulatorStats(stats).accessCalls == Self.secretCount)
        let records = try emulator.request("GET", "/_emulator/impersonations") as? [[String: Any]] ?? []
        #expect(records.count == 1)
        #expect(records.first?["caller"] as? String == "principal://iam.googleapis.com/\(Self.pool)/subject/\(Self.subject)")
        #expect(records.first?["target"] as? String == Self.deployer)
    }

    @Test func aWrongSubjectTokenExits77NamingTheFileNeverTheToken() async throws {
        let wrong = "eyJhbGciOiJSUzI1NiJ9.not-the-accepted-\(Self.sentinel).c2ln"
        let workspace = try makeWorkspace(token: wrong)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace, extraArguments: ["--auth"])
        let credentials = try writeCredentials(workspace, emulator)
        let result = try await run(
            ["render", "--env", "dev"], in: workspace, environment: environment(emulator, workspace, credentials: credentials))
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("GOOGLE_APPLICATION_CREDENTIALS file \(credentials)"), "\(result.stderr)")
        #expect(result.stderr.contains("invalid_grant"), "\(result.stderr)")
        #expect(!result.stderr.contains(wrong) && !result.stderr.contains("not-the-accepted"))
        let stats = try emulator.stats()
        #expect(stats["tokenRefusals"] as? [String: Int] == ["sts": 1])
        #expect(EmulatorStats(stats).accessCalls == 0)
        #expect(!workspace.exists("out/app.env"))
    }

    /// Google's `google-auth` (installed by `make test` into the test virtual environment
    /// that `SECRETSMITH_TEST_PYTHON` names) loads the same file, exchanges at the emulator's
    /// STS, impersonates, and reads a secret with the resulting token.
    @Test func googlesPythonLibraryExchangesTheSameFileAtTheEmulator() throws {
        let workspace = try makeWorkspace()
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace, extraArguments: ["--auth"])
        let credentials = try writeCredentials(workspace, emulator)
        let python = ProcessInfo.processInfo.environment["SECRETSMITH_TEST_PYTHON"] ?? "python3"
        let prefix = python.contains("/") ? [python] : ["/usr/bin/env", python]
        let script = """
            import base64, json, sys
            import google.auth
            from google.auth.transport.requests import AuthorizedSession
            # Loaded as Application Default Credentials load it; scoped afterwards, because
            # with scopes the loader also asks Cloud Resource Manager for the project id.
            credentials, _ = google.auth.load_credentials_from_file(sys.argv[1])
            credentials = credentials.with_scopes(["https://www.googleapis.com/auth/cloud-platform"])
            session = AuthorizedSession(credentials)
            answer = session.get(sys.argv[2])
            payload = answer.json().get("payload", {}).get("data", "") if answer.ok else ""
            sys.stdout.write(json.dumps({
                "kind": type(credentials).__module__ + "." + type(credentials).__name__,
                "status": answer.status_code,
                "payload": base64.b64decode(payload).decode() if payload else None,
            }))
            """
        let url = "http://\(emulator.host)/v1/projects/acme-app-dev/secrets/s007/versions/latest:access"
        let result = try CommandRunner.execute(
            prefix + ["-c", script, credentials, url], in: workspace.url,
            environment: ["GOOGLE_APPLICATION_CREDENTIALS": "", "HOME": workspace.path("home")])
        #expect(result.status == 0, "google-auth failed (make test installs it from scripts/test-requirements.txt): \(result.stderr)")
        let answer = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any] ?? [:]
        #expect(answer["kind"] as? String == "google.auth.identity_pool.Credentials", "\(answer)")
        #expect(answer["status"] as? Int == 200, "\(answer)")
        #expect(answer["payload"] as? String == "value-7-\(Self.sentinel)")
        let stats = try emulator.stats()
        #expect(stats["tokens"] as? [String: Int] == ["sts": 1, "generateAccessToken": 1])
        let records = try emulator.request("GET", "/_emulator/impersonations") as? [[String: Any]] ?? []
        #expect(records.first?["caller"] as? String == "principal://iam.googleapis.com/\(Self.pool)/subject/\(Self.subject)")
    }
}
