import Foundation
import SecretsmithTestSupport
import Testing

/// The Google Cloud CLI against the emulator (`secretsmith emulator`), as a user points
/// it there: `api_endpoint_overrides/secretmanager` and no credentials, in a private
/// configuration directory. Needs `gcloud` on PATH.
@Suite(.serialized, .enabled(if: GcloudExecutable.path != nil, "gcloud is not on PATH: install the Google Cloud CLI to run these tests"))
struct GcloudEndToEndTests {
    /// Runs gcloud with the configuration in `directory`; returns status, stdout, stderr.
    func gcloud(_ arguments: [String], configuration directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(GcloudExecutable.path))
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CLOUDSDK_CONFIG"] = directory
        environment["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1"
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test func secretsUpdateAndIAMPolicyCommandsWork() throws {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        seed.add(project: "acme-app-dev", secret: "db-password", value: "pw-\(CommandRunner.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let configuration = workspace.path("gcloud")
        try FileManager.default.createDirectory(atPath: configuration, withIntermediateDirectories: true)
        for (key, value) in [
            ("api_endpoint_overrides/secretmanager", "http://\(emulator.host)/"), ("auth/disable_credentials", "true"),
            ("core/project", "acme-app-dev"), ("core/disable_usage_reporting", "true"),
        ] {
            #expect(try gcloud(["config", "set", key, value], configuration: configuration).status == 0)
        }

        let update = try gcloud(["secrets", "update", "db-password", "--update-labels=team=billing,env=dev"], configuration: configuration)
        #expect(update.status == 0, "\(update.stderr)")
        let described = try gcloud(["secrets", "describe", "db-password", "--format=json"], configuration: configuration)
        #expect(described.status == 0, "\(described.stderr)")
        let secret = try JSONSerialization.jsonObject(with: Data(described.stdout.utf8)) as? [String: Any]
        #expect(secret?["labels"] as? [String: String] == ["team": "billing", "env": "dev"])

        let policy = try gcloud(["secrets", "get-iam-policy", "db-password", "--format=json"], configuration: configuration)
        #expect(policy.status == 0, "\(policy.stderr)")
        let binding = try gcloud(
            ["secrets", "add-iam-policy-binding", "db-password", "--member=user:dev@example.com",
             "--role=roles/secretmanager.secretAccessor"], configuration: configuration)
        #expect(binding.status == 0, "\(binding.stderr)")
        let after = try gcloud(["secrets", "get-iam-policy", "db-password", "--format=json"], configuration: configuration)
        #expect(after.stdout.contains("user:dev@example.com"), "\(after.stdout) \(after.stderr)")

        let stats = try EmulatorStats(emulator.stats())
        #expect(stats.methods["updateSecret"] == 1)
        // Two get-iam-policy commands, and the read half of add-iam-policy-binding's read-modify-write.
        #expect(stats.methods["getIamPolicy"] == 3, "\(stats.methods)")
        #expect(stats.methods["setIamPolicy"] == 1)
    }
}

/// Where `gcloud` is.
enum GcloudExecutable {
    /// The `gcloud` executable found on PATH, or `nil`.
    static let path: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { "\($0)/gcloud" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}
