import Foundation
import SecretsmithTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `secretsmith serve` (the built binary) in front of `secretsmith emulator`, read through
/// by Google's Python client (REST transport), `gcloud secrets versions access` and plain
/// HTTP, with a static token file.
@Suite(.serialized) struct ServeEndToEndTests {
    /// The service and the emulator behind it, in one workspace.
    final class Service: @unchecked Sendable {
        let workspace: Workspace
        let emulator: EmulatorProcess
        let serve: BackgroundCommand
        let port: Int
        var base: String { "http://127.0.0.1:\(port)" }

        static let tokens = ["ci": "ci-token-0123456789", "prod": "prod-token-0123456789", "nobody": "nobody-token-0123456789"]

        init(extraServe: String = "") throws {
            workspace = try Workspace()
            var seed = SeedBuilder()
            seed.add(project: "acme-app-dev", number: 424_242_424_242, secret: "db-password", value: "dev-pw-\(CommandRunner.sentinel)")
            seed.add(project: "acme-app-dev", number: 424_242_424_242, secret: "api-key", value: "key-\(CommandRunner.sentinel)")
            seed.add(project: "acme-app-prod", number: 515_151_515_151, secret: "db-password", value: "prod-pw-\(CommandRunner.sentinel)")
            try workspace.write("seed.yaml", seed.yaml)
            emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
            var lines: [String] = []
            for (name, token) in Self.tokens.sorted(by: { $0.key < $1.key }) {
                let hashed = try CommandRunner.execute(
                    ["/bin/sh", "-c", #"printf '%s\n' "$2" | "$1" hash-token "$3""#, "sh", CommandRunner.binary, token, name],
                    in: workspace.url, environment: [:])
                #expect(hashed.status == 0, "\(hashed.stderr)")
                lines.append(hashed.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            try workspace.write("tokens", "# name sha256:hex\n" + lines.joined(separator: "\n") + "\n")
            try workspace.write(
                "secretsmith.yaml",
                """
                version: 1
                defaults:
                  cache: { ttl: 5m }
                environments:
                  dev:
                    projects:
                      app:
                        project_id: acme-app-dev
                        secrets: { db-password: {}, api-key: {} }
                  prod:
                    projects:
                      app:
                        project_id: acme-app-prod
                        secrets: { db-password: {} }
                serve:
                  shutdown_grace_period: 10s
                  authentication:
                    static_tokens_file: tokens
                  policy:
                    - principals: ["token:ci"]
                      allow: ["dev/*/*"]
                    - principals: ["token:prod"]
                      allow: ["prod/app/db-password"]
                      rate_limit: { requests_per_second: 0.01, burst: 3 }
                \(extraServe)
                """)
            let portFile = workspace.path("serve.port")
            serve = try BackgroundCommand(
                ["serve", "--config", workspace.path("secretsmith.yaml"), "--listen", "127.0.0.1:0", "--port-file", portFile],
                in: workspace, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
            guard serve.waitFor(file: portFile),
                let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                let stderr = (try? String(contentsOfFile: serve.stderrPath, encoding: .utf8)) ?? ""
                throw ServeStartFailed(stderr: stderr)
            }
            self.port = port
        }

        struct ServeStartFailed: Error, CustomStringConvertible {
            var stderr: String
            var description: String { "secretsmith serve did not start:\n\(stderr)" }
        }

        /// One HTTP request; returns the status, the headers and the body.
        func request(_ path: String, token: String?, method: String = "GET") async throws -> (Int, [String: String], Data) {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
            }
            return (http.statusCode, headers, data)
        }

        func upstreamAccesses() throws -> Int {
            try EmulatorStats(emulator.stats()).methods["access"] ?? 0
        }

        func stop() -> (status: Int32, stderr: String) {
            kill(serve.pid, SIGTERM)
            let result = serve.wait()
            emulator.stop()
            return (result.status, result.stderr)
        }
    }

    @Test func pythonClientGcloudAndCurlReadThroughTheService() async throws {
        let service = try Service()
        let python = ProcessInfo.processInfo.environment["SECRETSMITH_TEST_PYTHON"] ?? "python3"
        let script = """
            import sys
            from google.cloud import secretmanager
            from google.oauth2.credentials import Credentials
            client = secretmanager.SecretManagerServiceClient(
                credentials=Credentials(sys.argv[2]), transport="rest",
                client_options={"api_endpoint": sys.argv[1]})
            response = client.access_secret_version(name="projects/acme-app-dev/secrets/db-password/versions/latest")
            sys.stdout.write(response.payload.data.decode() + "|" + response.name + "|" + str(response.payload.data_crc32c))
            version = client.get_secret_version(name="projects/acme-app-dev/secrets/db-password/versions/1")
            sys.stdout.write("|" + secretmanager.SecretVersion.State(version.state).name)
            """
        try service.workspace.write("client.py", script)
        let client = try CommandRunner.execute(
            [python, service.workspace.path("client.py"), service.base, Service.tokens["ci"]!], in: service.workspace.url,
            environment: [:])
        #expect(client.status == 0, "\(client.stderr)")
        let parts = client.stdoutText.split(separator: "|").map(String.init)
        #expect(parts.first == "dev-pw-\(CommandRunner.sentinel)")
        #expect(parts.dropFirst().first == "projects/acme-app-dev/secrets/db-password/versions/1")
        #expect(parts.last == "ENABLED")

        // gcloud with the endpoint override and the token from a file.
        if let gcloud = GcloudExecutable.path {
            let configuration = service.workspace.path("gcloud")
            try FileManager.default.createDirectory(atPath: configuration, withIntermediateDirectories: true)
            try service.workspace.write("token-file", Service.tokens["ci"]!)
            let environment = ["CLOUDSDK_CONFIG": configuration, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"]
            for (key, value) in [
                ("api_endpoint_overrides/secretmanager", "\(service.base)/"), ("core/disable_usage_reporting", "true"),
            ] {
                _ = try CommandRunner.execute([gcloud, "config", "set", key, value], in: service.workspace.url, environment: environment)
            }
            let access = try CommandRunner.execute(
                [gcloud, "secrets", "versions", "access", "latest", "--secret=api-key", "--project=acme-app-dev",
                 "--access-token-file=\(service.workspace.path("token-file"))"],
                in: service.workspace.url, environment: environment)
            #expect(access.status == 0, "\(access.stderr)")
            #expect(access.stdoutText == "key-\(CommandRunner.sentinel)")
        }

        // Plain HTTP: the reference API, a wrong token, a policy miss.
        let reference = try await service.request("/v1/references/dev/app/db-password%40latest", token: Service.tokens["ci"])
        #expect(reference.0 == 200)
        #expect(String(decoding: reference.2, as: UTF8.self) == "dev-pw-\(CommandRunner.sentinel)")
        #expect(reference.1["x-secretsmith-version"] == "1")
        let wrong = try await service.request("/v1/references/dev/app/db-password", token: "wrong")
        #expect(wrong.0 == 401)
        #expect(wrong.1["www-authenticate"]?.hasPrefix("Bearer") == true)
        let accessesBefore = try service.upstreamAccesses()
        // Cached for token:ci, but token:nobody may not read it: 403 all the same.
        let denied = try await service.request("/v1/references/dev/app/db-password", token: Service.tokens["nobody"])
        #expect(denied.0 == 403)
        #expect(!String(decoding: denied.2, as: UTF8.self).contains(CommandRunner.sentinel))
        #expect(try service.upstreamAccesses() == accessesBefore)

        let stopped = service.stop()
        #expect(stopped.status == 0, "\(stopped.stderr)")
        // The audit log names principals and never a value or a token.
        #expect(stopped.stderr.contains("token:ci"))
        for token in Service.tokens.values { #expect(!stopped.stderr.contains(token)) }
    }

    @Test func aBurstOverTheLimitIs429WithRetryAfter() async throws {
        let service = try Service()
        var statuses: [Int] = []
        var retryAfter: String?
        for _ in 0..<5 {
            let answer = try await service.request("/v1/references/prod/app/db-password", token: Service.tokens["prod"])
            statuses.append(answer.0)
            if answer.0 == 429 { retryAfter = answer.1["retry-after"] }
        }
        #expect(statuses.prefix(3) == [200, 200, 200])
        #expect(statuses.contains(429), "\(statuses)")
        #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
        let metrics = try await service.request("/metrics", token: nil)
        let text = String(decoding: metrics.2, as: UTF8.self)
        #expect(text.contains("secretsmith_serve_rate_limited_total"))
        #expect(!text.contains(CommandRunner.sentinel))
        #expect(service.stop().status == 0)
    }

    @Test func sigtermDuringLoadAnswersEveryAcceptedRequest() async throws {
        let service = try Service()
        // Every upstream access takes 400 ms: requests are in flight when SIGTERM arrives.
        try service.emulator.request("POST", "/_emulator/faults", body: ["latency:400,method=access"])
        let token = Service.tokens["ci"]!
        let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for index in 0..<16 {
                let path = index % 2 == 0 ? "/v1/references/dev/app/db-password" : "/v1/references/dev/app/api-key"
                group.addTask {
                    do { return .success(try await service.request(path, token: token).0) } catch { return .failure(error) }
                }
            }
            // SIGTERM once the service has requests upstream (accepted, in flight), not after a
            // fixed pause: on a loaded machine no connection may be open yet after 150 ms.
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline, ((try? service.upstreamAccesses()) ?? 0) == 0 {
                try? await Task.sleep(for: .milliseconds(20))
            }
            kill(service.serve.pid, SIGTERM)
            var results: [Result<Int, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        // A request either was accepted and answered 200, or was refused a connection; none is
        // cut off with a half answer.
        let answered = results.compactMap { try? $0.get() }
        #expect(answered.allSatisfy { $0 == 200 }, "\(answered)")
        #expect(!answered.isEmpty)
        let result = service.serve.wait()
        #expect(result.status == 0, "\(result.stderr)")
        service.emulator.stop()
    }
}
