import Foundation
import SecretsmithTestSupport
import Testing

/// The repository's examples render against the emulator exactly as `make demo` does.
@Suite(.serialized) struct ExamplesEndToEndTests {
    /// Copies examples/ and templates/ into a workspace so outputs land in its out/.
    func makeWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        for folder in ["examples", "templates"] {
            try FileManager.default.copyItem(
                at: CommandRunner.packageRoot.appendingPathComponent(folder),
                to: workspace.url.appendingPathComponent(folder))
        }
        return workspace
    }

    @Test("every environment renders, with the configured modes whatever the umask", arguments: ["000", "077"])
    func examplesRender(umask: String) throws {
        let workspace = try makeWorkspace()
        let emulator = try EmulatorProcess(seed: workspace.path("examples/emulator-seed.yaml"), in: workspace)
        for environment in ["dev", "staging", "prod"] {
            let result = try CommandRunner.run(
                ["render", "--config", "examples/secretsmith.yaml", "--env", environment], in: workspace.url,
                environment: [
                    "SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "app.\(environment).example",
                ],
                umask: umask)
            #expect(result.status == 0, "render --env \(environment): \(result.stderr)")
            let expectedModes: [String: Int] = [
                "app.env": 0o600, "secrets.sh": 0o600, "secrets.json": 0o600, "nginx/nginx.conf": 0o640,
                "nginx/tls.key": 0o600, "k8s/tls-secret.yaml": 0o600, "app.yaml": 0o640, "entrypoint.sh": 0o700,
            ]
            for (file, mode) in expectedModes {
                let path = "out/\(environment)/\(file)"
                #expect(workspace.exists(path), "\(path) written")
                #expect(try workspace.mode(path) == mode, "\(path) mode under umask \(umask)")
            }
            // Missing parent directories are created 0700.
            #expect(try workspace.mode("out/\(environment)") == 0o700)
        }
    }

    @Test func renderedBytesAreExact() throws {
        let workspace = try makeWorkspace()
        let emulator = try EmulatorProcess(seed: workspace.path("examples/emulator-seed.yaml"), in: workspace)
        let result = try CommandRunner.run(
            ["render", "--config", "examples/secretsmith.yaml", "--env", "prod"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "app.prod.example"])
        #expect(result.status == 0, "\(result.stderr)")
        let sentinel = CommandRunner.sentinel
        // prod pins db-password to version 2 (version 3 is newer but DISABLED).
        let json = try JSONSerialization.jsonObject(with: Data(try workspace.read("out/prod/secrets.json")))
            as? [String: String]
        #expect(json?["database_password"] == "prod-db-pw-\(sentinel)\n")
        #expect(json?["database_host"] == "db.prod.acme.internal")
        #expect(json?["stripe_api_key"] == "sk_live_prod_\(sentinel)")
        // The TLS key file is the payload byte for byte.
        let key = String(decoding: try workspace.read("out/prod/nginx/tls.key"), as: UTF8.self)
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(key.hasSuffix("-----END PRIVATE KEY-----\n"))
        // The Kubernetes manifest indents the PEM under its block scalar and keeps the merge key.
        let manifest = String(decoding: try workspace.read("out/prod/k8s/tls-secret.yaml"), as: UTF8.self)
        #expect(manifest.contains("  tls.key: |\n    -----BEGIN PRIVATE KEY-----\n"))
        #expect(manifest.contains("    <<: *labels\n"))
        // The heredocs of the entrypoint pass through untouched; the password is one shell word.
        let entrypoint = String(decoding: try workspace.read("out/prod/entrypoint.sh"), as: UTF8.self)
        #expect(entrypoint.contains("cat <<EOF >/tmp/billing-api.motd\n"))
        #expect(entrypoint.contains("cat << 'EOF' >>/tmp/billing-api.motd\n"))
        #expect(entrypoint.contains("DATABASE_PASSWORD='prod-db-pw-\(sentinel)'\n"))
        // nginx: env action and a JSON-quoted secret.
        let nginx = String(decoding: try workspace.read("out/prod/nginx/nginx.conf"), as: UTF8.self)
        #expect(nginx.contains("server_name app.prod.example;"))
        #expect(nginx.contains("proxy_set_header X-Session-Secret \"prod-session-$ecret\\\"#\(sentinel)\";"))
    }

    @Test func aSecondRenderLeavesUnchangedFilesAlone() throws {
        let workspace = try makeWorkspace()
        let emulator = try EmulatorProcess(seed: workspace.path("examples/emulator-seed.yaml"), in: workspace)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "x"]
        let arguments = ["render", "--config", "examples/secretsmith.yaml", "--env", "dev"]
        #expect(try CommandRunner.run(arguments, in: workspace.url, environment: environment).status == 0)
        let path = workspace.path("out/dev/app.env")
        let past = Date(timeIntervalSince1970: 1_000_000_000)
        try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: path)
        let second = try CommandRunner.run(arguments, in: workspace.url, environment: environment)
        #expect(second.status == 0)
        #expect(second.stdoutText.contains("unchanged"), "\(second.stdoutText)")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.modificationDate] as? Date == past, "an unchanged file keeps its mtime")
    }

    @Test func dryRunWritesNothingAndPrintsNoValue() throws {
        let workspace = try makeWorkspace()
        let emulator = try EmulatorProcess(seed: workspace.path("examples/emulator-seed.yaml"), in: workspace)
        let result = try CommandRunner.run(
            ["render", "--config", "examples/secretsmith.yaml", "--env", "staging", "--dry-run"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "DEMO_SERVER_NAME": "x"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("out/staging/app.env"))
        #expect(!workspace.exists("out"))
    }
}
