import Foundation
import SecretsmithTestSupport
import Testing

/// deploy/cloud-run and examples/github-actions: the files parse, say what the README says
/// they do, and their secretsmith configuration works against the emulator.
@Suite(.serialized) struct CloudRunAndActionsTests {
    @Test func theCloudRunServiceStartsTheApplicationThroughExec() throws {
        let service = try DeployTools.yamlFile("deploy/cloud-run/service.yaml")
        #expect(service["apiVersion"] as? String == "serving.knative.dev/v1")
        #expect(service["kind"] as? String == "Service")
        let spec = try #require(service.dictionary(at: "spec.template.spec"))
        #expect((spec["serviceAccountName"] as? String)?.hasSuffix(".iam.gserviceaccount.com") == true, "runs as a service account")
        let containers = spec.array(at: "containers")
        try #require(containers.count == 1)
        let container = containers[0]
        #expect(container["command"] as? [String] == ["/usr/local/bin/secretsmith"])
        let args = container["args"] as? [String] ?? []
        #expect(args.first == "exec")
        let separator = try #require(args.firstIndex(of: "--"), "`--` separates the application's command")
        #expect(separator + 1 < args.count, "an application follows `--`")
        let environment = container.array(at: "env")
        let names = environment.compactMap { $0["name"] as? String }
        #expect(names.contains("SECRETSMITH_ENV"))
        #expect(!names.contains("GOOGLE_APPLICATION_CREDENTIALS"), "credentials come from the metadata server")
        #expect(
            service.dictionary(at: "spec.template.metadata.annotations")?["run.googleapis.com/startup-cpu-boost"] as? String
                == "true")
    }

    /// The Cloud Run configuration, through `exec` against the emulator: the placeholder
    /// the service sets is replaced, and the application is the same process.
    @Test func theCloudRunConfigurationExecsTheApplicationWithItsSecrets() throws {
        let workspace = try Workspace()
        try FileManager.default.copyItem(
            at: DeployTools.packageRoot.appendingPathComponent("deploy/cloud-run/secretsmith.yaml"),
            to: workspace.url.appendingPathComponent("secretsmith.yaml"))
        try FileManager.default.copyItem(
            at: DeployTools.packageRoot.appendingPathComponent("examples/emulator-seed.yaml"),
            to: workspace.url.appendingPathComponent("seed.yaml"))
        try withEmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace) { emulator in
            let result = try CommandRunner.run(
                ["exec", "--config", "secretsmith.yaml", "--", "/bin/sh", "-c",
                 #"test -n "$STRIPE_API_KEY" && test -n "$REDIS_URL" && printf %s "$DATABASE_PASSWORD" | wc -c"#],
                in: workspace.url,
                environment: [
                    "SECRET_MANAGER_EMULATOR_HOST": emulator.host, "SECRETSMITH_ENV": "prod",
                    "DATABASE_PASSWORD": "set-by-secretsmith",
                ])
            #expect(result.status == 0, "\(result.stderr)")
            // prod's db-password is "prod-db-pw-SENTINEL-7c1f\n" (25 bytes), not the placeholder (18).
            #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "25")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/unused.env"), "exec writes no dotenv file")
        }
    }

    @Test func theWorkflowAuthenticatesThenChecksAndRendersBeforeItDeploys() throws {
        let workflow = try DeployTools.yamlFile("examples/github-actions/deploy.yml")
        // YAML 1.1 reads the key `on` as true; PyYAML does.
        #expect(workflow["on"] != nil || workflow["True"] != nil || workflow["true"] != nil)
        #expect(workflow.dictionary(at: "permissions")?["id-token"] as? String == "write", "OIDC for google-github-actions/auth")
        let jobs = try #require(workflow.dictionary(at: "jobs"))
        try #require(jobs.count == 1)
        let steps = (jobs.values.first as? [String: Any])?.array(at: "steps") ?? []
        #expect(steps.allSatisfy { ($0["name"] as? String)?.isEmpty == false }, "every step is named")

        func index(_ predicate: ([String: Any]) -> Bool) -> Int? { steps.firstIndex(where: predicate) }
        let auth = try #require(index { ($0["uses"] as? String)?.hasPrefix("google-github-actions/auth@v2") == true })
        let with = steps[auth].dictionary(at: "with") ?? [:]
        #expect((with["workload_identity_provider"] as? String)?.contains("/workloadIdentityPools/") == true)
        #expect((with["service_account"] as? String)?.hasSuffix(".iam.gserviceaccount.com") == true)
        #expect(with["create_credentials_file"] as? Bool == true)

        func runs(_ command: String) -> ([String: Any]) -> Bool {
            { ($0["run"] as? String)?.contains(command) == true }
        }
        let install = try #require(index(runs("sha256sum --check secretsmith.sha256")), "the download is verified")
        let check = try #require(index(runs("secretsmith check")))
        let render = try #require(index(runs("secretsmith render")))
        let deploy = try #require(index { ($0["name"] as? String) == "Deploy" })
        #expect(auth < install && install < check && check < render && render < deploy, "auth, install, check, render, deploy")
        let cleanup = try #require(steps.last)
        #expect(cleanup["if"] as? String == "always()" && runs("rm -rf out/")(cleanup), "rendered secrets are removed")
    }
}
