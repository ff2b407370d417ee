import Foundation
import SecretsmithTestSupport
import Testing

/// `lock`, `render --frozen`, `exec --frozen`, `check --frozen` and `render --manifest`.
@Suite(.serialized) struct LockEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    func makeWorkspace() throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "api-key", value: "v1-\(Self.sentinel)")
        seed.add(project: "acme-app-dev", secret: "db", value: "db-\(Self.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write("secretsmith.yaml", Self.configuration(extraValue: ""))
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        return (workspace, emulator)
    }

    static func configuration(extraValue: String) -> String {
        """
        \(ConfigurationText.devApp) { api-key: {}, db: {}, new-one: {} }
        outputs:
          - name: dotenv
            format: dotenv
            path: out/app.env
            values:
              API_KEY: app/api-key
              DB: app/db\(extraValue)

        """
    }

    func addVersion(_ emulator: EmulatorProcess, secret: String, value: String) throws {
        try emulator.request(
            "POST", "/v1/projects/acme-app-dev/secrets/\(secret):addVersion",
            body: ["payload": ["data": Data(value.utf8).base64EncodedString()]])
    }

    @Test func frozenRendersKeepTheLockedVersionAfterANewVersionIsAddedUpstream() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let lock = try CommandRunner.run(["lock", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(lock.status == 0, "\(lock.stderr)")
        #expect(lock.stdoutText.contains("pinned dev projects/acme-app-dev/secrets/api-key/versions/latest -> version 1"))
        #expect(lock.stdoutText.contains("written secretsmith.lock (2 pins)"))
        let lockText = String(decoding: try workspace.read("secretsmith.lock"), as: UTF8.self)
        #expect(!lockText.contains(Self.sentinel), "never a value")
        #expect(try workspace.mode("secretsmith.lock") == 0o644)
        #expect(EmulatorStats(try emulator.stats()).accessCalls == 0, "lock reads metadata only")

        try addVersion(emulator, secret: "api-key", value: "v2-\(Self.sentinel)")

        let frozen = try CommandRunner.run(
            ["render", "--env", "dev", "--frozen", "--manifest", "out/manifest.json"], in: workspace.url,
            environment: environment)
        #expect(frozen.status == 0, "\(frozen.stderr)")
        let env = String(decoding: try workspace.read("out/app.env"), as: UTF8.self)
        #expect(env.contains("v1-\(Self.sentinel)"), "the locked version 1, not the new latest")
        let manifest = try JSONSerialization.jsonObject(with: Data(try workspace.read("out/manifest.json"))) as? [String: Any]
        let output = (manifest?["outputs"] as? [[String: Any]])?.first
        let references = output?["references"] as? [[String: Any]] ?? []
        #expect(references.first?["version"] as? Int == 1)
        #expect(references.first?["resource"] as? String == "projects/acme-app-dev/secrets/api-key/versions/1")
        #expect(output?["status"] as? String == "written")
        #expect(manifest?["frozen"] as? Bool == true)
        #expect(!String(decoding: try workspace.read("out/manifest.json"), as: UTF8.self).contains(Self.sentinel))

        // check --frozen: the newer version is drift to report, not an error.
        let check = try CommandRunner.run(["check", "--env", "dev", "--frozen"], in: workspace.url, environment: environment)
        #expect(check.status == 0, "\(check.stdoutText)")
        #expect(check.stdoutText.contains("warning: output dotenv, key API_KEY"))
        #expect(check.stdoutText.contains("now resolves to a newer version, 2"))

        // Without --frozen the new version is read; after lock again, frozen reads it too.
        let latest = try CommandRunner.run(["render", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(latest.status == 0)
        #expect(String(decoding: try workspace.read("out/app.env"), as: UTF8.self).contains("v2-\(Self.sentinel)"))
        _ = try CommandRunner.run(["lock", "--env", "dev"], in: workspace.url, environment: environment)
        let relocked = try CommandRunner.run(
            ["exec", "--env", "dev", "--frozen", "--", "/bin/sh", "-c", #"printf %s "$API_KEY" > key.out"#],
            in: workspace.url, environment: environment)
        #expect(relocked.status == 0, "\(relocked.stderr)")
        #expect(try workspace.read("key.out") == Array("v2-\(Self.sentinel)".utf8))
    }

    @Test func aReferenceTheLockDoesNotPinFailsBeforeAnyNetworkCall() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        #expect(try CommandRunner.run(["lock", "--env", "dev"], in: workspace.url, environment: environment).status == 0)
        try workspace.write("secretsmith.yaml", Self.configuration(extraValue: "\n      NEW_ONE: app/new-one"))
        try emulator.request("POST", "/_emulator/reset")
        for arguments in [["render", "--env", "dev", "--frozen"], ["exec", "--env", "dev", "--frozen", "--", "/bin/sh", "-c", "touch ran"]] {
            let result = try CommandRunner.run(arguments, in: workspace.url, environment: environment)
            #expect(result.status == 65, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("secretsmith.yaml:15:16: error: output dotenv, key NEW_ONE"), "\(result.stderr)")
            #expect(result.stderr.contains("projects/acme-app-dev/secrets/new-one/versions/latest (environment \"dev\") is not pinned"))
            #expect(EmulatorStats(try emulator.stats()).methods.values.reduce(0, +) == 0, "no Secret Manager call at all")
        }
        #expect(!workspace.exists("out/app.env"))
        #expect(!workspace.exists("ran"))
        // Without a lock file at all.
        try FileManager.default.removeItem(atPath: workspace.path("secretsmith.lock"))
        let none = try CommandRunner.run(["render", "--env", "dev", "--frozen"], in: workspace.url, environment: environment)
        #expect(none.status == 65)
        #expect(none.stderr.contains("there is none"))
    }

    @Test func lockKeepsOtherEnvironmentsAndAnUnchangedLockKeepsItsMtime() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        try workspace.write(
            "secretsmith.lock",
            """
            {"lock_version": 1, "pins": [{"environment": "prod", "resource": "projects/p/secrets/s/versions/latest", "version": 9, "name": "projects/1/secrets/s/versions/9"}]}
            """)
        #expect(try CommandRunner.run(["lock", "--env", "dev"], in: workspace.url, environment: environment).status == 0)
        let text = String(decoding: try workspace.read("secretsmith.lock"), as: UTF8.self)
        #expect(text.contains("projects/p/secrets/s/versions/latest"), "prod's pin is kept")
        let before = try FileManager.default.attributesOfItem(atPath: workspace.path("secretsmith.lock"))[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.02)
        let again = try CommandRunner.run(["lock", "--env", "dev"], in: workspace.url, environment: environment)
        #expect(again.stdoutText.contains("unchanged secretsmith.lock (3 pins)"))
        let after = try FileManager.default.attributesOfItem(atPath: workspace.path("secretsmith.lock"))[.modificationDate] as? Date
        #expect(before == after)
    }
}
