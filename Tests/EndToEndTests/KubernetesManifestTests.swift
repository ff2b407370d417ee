import Foundation
import SecretsmithTestSupport
import Testing

/// deploy/kubernetes: every kustomization renders offline (`kubectl kustomize`), every
/// object it renders passes `kubernetes-validate --strict` against the schemas of
/// ``kubernetesVersion``, and the rendered objects have the properties the README promises
/// (the restricted Pod Security profile, the probes, Workload Identity, the NetworkPolicy,
/// the in-memory volume and the watch sidecar). A deliberately broken copy fails the same
/// checks, so they cannot pass vacuously.
@Suite(.serialized) struct KubernetesManifestTests {
    /// The schemas checked against: native sidecars (`restartPolicy: Always` init
    /// containers) are on by default from 1.29 and GA in 1.33.
    static let kubernetesVersion = "1.33.0"

    static let directory = DeployTools.packageRoot.appendingPathComponent("deploy/kubernetes")

    /// Every directory under deploy/kubernetes holding a kustomization.yaml, relative.
    static func kustomizations(under root: URL = directory) -> [String] {
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        while let relative = enumerator?.nextObject() as? String {
            if (relative as NSString).lastPathComponent == "kustomization.yaml" {
                found.append((relative as NSString).deletingLastPathComponent)
            }
        }
        return found.sorted()
    }

    /// `kubectl kustomize DIR`: the rendered stream, or the failure.
    static func render(_ directory: URL) throws -> CommandRunner.Result {
        try DeployTools.run([try DeployTools.kubectl(), "kustomize", directory.path])
    }

    /// The rendered objects of one kustomization (its render must succeed).
    static func objects(_ relative: String, under root: URL = directory) throws -> [[String: Any]] {
        let rendered = try render(root.appendingPathComponent(relative))
        try #require(rendered.status == 0, "kubectl kustomize \(relative): \(rendered.stderr)")
        return try DeployTools.yamlDocuments(rendered.stdoutText).compactMap { $0 as? [String: Any] }
    }

    /// `kubernetes-validate --strict` over a rendered stream.
    static func validate(_ stream: String) throws -> CommandRunner.Result {
        let workspace = try Workspace()
        let file = try workspace.write("rendered.yaml", stream)
        return try DeployTools.run([
            try DeployTools.kubernetesValidate(), "--kubernetes-version", kubernetesVersion, "--strict", "--quiet", file,
        ])
    }

    @Test func everyKustomizationRendersAndEveryObjectValidates() throws {
        let all = Self.kustomizations()
        #expect(all == ["app-example", "base", "overlays/dev", "overlays/prod"], "\(all)")
        for relative in all {
            let rendered = try Self.render(Self.directory.appendingPathComponent(relative))
            #expect(rendered.status == 0, "kubectl kustomize \(relative): \(rendered.stderr)")
            let objects = try DeployTools.yamlDocuments(rendered.stdoutText)
            #expect(objects.count >= 3, "\(relative) renders its objects")
            let validation = try Self.validate(rendered.stdoutText)
            #expect(validation.status == 0, "kubernetes-validate \(relative): \(validation.stdoutText) \(validation.stderr)")
        }
    }

    /// The schema check of a copy with one mistake each: an unknown field (a typo), a
    /// value of the wrong type, a missing required field.
    @Test(arguments: [
        ("base/deployment.yaml", "readinessProbe:", "readinesProbe:"),
        ("base/horizontalpodautoscaler.yaml", "averageUtilization: 70", "averageUtilization: seventy"),
        ("base/service.yaml", "port: 8200,", "prt: 8200,"),
    ])
    func aBrokenManifestFailsTheSchemaCheck(file: String, original: String, broken: String) throws {
        let workspace = try Workspace()
        let copy = workspace.url.appendingPathComponent("kubernetes")
        try FileManager.default.copyItem(at: Self.directory, to: copy)
        let path = copy.appendingPathComponent(file)
        let text = try String(contentsOf: path, encoding: .utf8)
        try #require(text.contains(original), "the mutation applies to \(file)")
        try text.replacingOccurrences(of: original, with: broken).write(to: path, atomically: true, encoding: .utf8)

        let rendered = try Self.render(copy.appendingPathComponent("overlays/prod"))
        #expect(rendered.status == 0, "the broken copy still renders: the schema check must catch it")
        let validation = try Self.validate(rendered.stdoutText)
        #expect(validation.status != 0, "kubernetes-validate refuses \(broken) in \(file)")
        #expect((validation.stdoutText + validation.stderr).contains("did not validate"), "\(validation.stdoutText)")
    }

    @Test func everyContainerMeetsTheRestrictedPodSecurityProfile() throws {
        var pods = 0
        for relative in Self.kustomizations() {
            for object in try Self.objects(relative) {
                guard let pod = object.dictionary(at: "spec.template.spec") else { continue }
                pods += 1
                let name = "\(relative): \(object["kind"] ?? "")/\(object.string(at: "metadata.name") ?? "")"
                let violations = RestrictedProfile.violations(pod)
                #expect(violations.isEmpty, "\(name): \(violations)")
            }
        }
        #expect(pods >= 4, "the checks saw the pod templates")
    }

    /// The profile check itself: each setting removed from a compliant pod is reported.
    @Test(arguments: [
        "allowPrivilegeEscalation", "capabilities", "readOnlyRootFilesystem", "seccompProfile", "runAsNonRoot",
        "resources",
    ])
    func theProfileCheckReportsEachMissingSetting(setting: String) throws {
        let deployment = try #require(Self.objects("base").first { $0["kind"] as? String == "Deployment" })
        var pod = try #require(deployment.dictionary(at: "spec.template.spec"))
        #expect(RestrictedProfile.violations(pod).isEmpty)
        var containers = pod["containers"] as? [[String: Any]] ?? []
        var context = containers[0]["securityContext"] as? [String: Any] ?? [:]
        if setting == "resources" {
            containers[0]["resources"] = nil
        } else {
            context[setting] = nil
            containers[0]["securityContext"] = context
        }
        var podContext = pod["securityContext"] as? [String: Any] ?? [:]
        podContext[setting] = nil
        pod["securityContext"] = podContext
        pod["containers"] = containers
        let violations = RestrictedProfile.violations(pod)
        #expect(violations.contains { $0.contains(setting) }, "\(setting) is required: \(violations)")
    }

    @Test(arguments: ["base", "overlays/dev", "overlays/prod"])
    func theServiceIsProbedScaledGuardedAndConfigured(relative: String) throws {
        let objects = try Self.objects(relative)
        func one(_ kind: String) throws -> [String: Any] {
            let matching = objects.filter { $0["kind"] as? String == kind }
            try #require(matching.count == 1, "\(relative) has one \(kind)")
            return matching[0]
        }
        let deployment = try one("Deployment")
        let pod = try #require(deployment.dictionary(at: "spec.template.spec"))
        let podLabels = deployment.dictionary(at: "spec.template.metadata.labels") as? [String: String] ?? [:]
        let container = try #require(pod["containers"].flatMap { ($0 as? [Any])?.first as? [String: Any] })
        #expect((container["args"] as? [String])?.first == "serve")
        let port = try #require(container.array(at: "ports").first)
        for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
            #expect(container.string(at: "\(probe).httpGet.path") == path, "\(relative): \(probe) asks \(path)")
            #expect(container.string(at: "\(probe).httpGet.port") == port["name"] as? String, "\(probe) probes the served port")
        }

        // Workload Identity: the pod's ServiceAccount names its Google service account.
        let account = try one("ServiceAccount")
        #expect(pod["serviceAccountName"] as? String == account.string(at: "metadata.name"))
        let google = account.dictionary(at: "metadata.annotations")?["iam.gke.io/gcp-service-account"] as? String
        #expect(google?.hasSuffix(".iam.gserviceaccount.com") == true)

        // Service, PodDisruptionBudget, NetworkPolicy select these pods; the HPA scales this Deployment.
        for (kind, path) in [
            ("Service", "spec.selector"), ("PodDisruptionBudget", "spec.selector.matchLabels"),
            ("NetworkPolicy", "spec.podSelector.matchLabels"),
        ] {
            let selector = try one(kind).dictionary(at: path) as? [String: String] ?? [:]
            #expect(!selector.isEmpty && selector.allSatisfy { podLabels[$0.key] == $0.value }, "\(kind) selects the pods")
        }
        let autoscaler = try one("HorizontalPodAutoscaler")
        #expect(autoscaler["apiVersion"] as? String == "autoscaling/v2")
        #expect(autoscaler.string(at: "spec.scaleTargetRef.name") == deployment.string(at: "metadata.name"))
        #expect(deployment.value(at: "spec.replicas") == nil, "the autoscaler owns the replica count")

        // Only labelled clients are admitted.
        let policy = try one("NetworkPolicy")
        let sources = policy.array(at: "spec.ingress").flatMap { $0.array(at: "from") }
        #expect(!sources.isEmpty)
        for source in sources {
            #expect(source.dictionary(at: "podSelector.matchLabels") as? [String: String] == ["secretsmith.dev/client": "true"])
            #expect(source["ipBlock"] == nil)
        }

        // The configuration: a ConfigMap mounted where --config points, with a serve:
        // section; TLS from a mounted Secret, or plain HTTP said out loud.
        let configMap = try one("ConfigMap")
        let configText = try #require(configMap.dictionary(at: "data")?["secretsmith.yaml"] as? String)
        let config = try #require(try DeployTools.yamlDocuments(configText).first as? [String: Any])
        let serve = try #require(config.dictionary(at: "serve"))
        #expect(serve.string(at: "listen")?.hasSuffix(":\(port["containerPort"] ?? "")") == true, "serve listens on the container port")
        let args = container["args"] as? [String] ?? []
        let configPath = try #require(args.firstIndex(of: "--config").map { args[$0 + 1] })
        let mounts = container.array(at: "volumeMounts")
        let volumes = pod.array(at: "volumes")
        func volume(mountedAbove path: String) -> [String: Any]? {
            guard let mount = mounts.first(where: { path.hasPrefix(($0["mountPath"] as? String ?? "") + "/") }) else { return nil }
            return volumes.first { $0["name"] as? String == mount["name"] as? String }
        }
        #expect(volume(mountedAbove: configPath)?.string(at: "configMap.name") == configMap.string(at: "metadata.name"))
        let scheme = container.string(at: "readinessProbe.httpGet.scheme")
        if let certificate = serve.string(at: "tls.certificate_file") {
            #expect(volume(mountedAbove: certificate)?.dictionary(at: "secret") != nil, "the certificate comes from a Secret")
            #expect(scheme == "HTTPS")
        } else {
            #expect(serve["allow_insecure_http"] as? Bool == true, "no TLS only with allow_insecure_http")
            #expect(scheme == "HTTP")
        }
        let terminationGrace = pod["terminationGracePeriodSeconds"] as? Int ?? 30
        #expect(terminationGrace > 20, "longer than serve.shutdown_grace_period")
    }

    @Test func theApplicationRendersIntoMemoryAndAWatchSidecarKeepsItCurrent() throws {
        let objects = try Self.objects("app-example")
        let deployment = try #require(objects.first { $0["kind"] as? String == "Deployment" })
        let pod = try #require(deployment.dictionary(at: "spec.template.spec"))
        let initContainers = pod.array(at: "initContainers")
        try #require(initContainers.count == 2)
        let (render, watch) = (initContainers[0], initContainers[1])
        #expect((render["args"] as? [String])?.first == "render")
        #expect(render["restartPolicy"] == nil, "an ordinary init container: it finishes before the app starts")
        #expect((watch["args"] as? [String])?.first == "watch")
        #expect(watch["restartPolicy"] as? String == "Always", "a native sidecar")

        let secrets = try #require(pod.array(at: "volumes").first { $0["name"] as? String == "secrets" })
        #expect(secrets.string(at: "emptyDir.medium") == "Memory", "the rendered files never reach the node's disk")
        func mount(_ container: [String: Any]) -> [String: Any]? {
            container.array(at: "volumeMounts").first { $0["name"] as? String == "secrets" }
        }
        let directory = try #require(mount(render)?["mountPath"] as? String)
        #expect(mount(watch)?["mountPath"] as? String == directory)
        let app = try #require(pod.array(at: "containers").first)
        #expect(mount(app)?["mountPath"] as? String == directory)
        #expect(mount(app)?["readOnly"] as? Bool == true, "the application only reads")

        // Every output of the configuration goes to that volume.
        let configMap = try #require(objects.first { $0["kind"] as? String == "ConfigMap" })
        let configText = try #require(configMap.dictionary(at: "data")?["secretsmith.yaml"] as? String)
        let config = try #require(try DeployTools.yamlDocuments(configText).first as? [String: Any])
        let outputs = config.array(at: "outputs")
        #expect(!outputs.isEmpty)
        for output in outputs {
            #expect(output.string(at: "path")?.hasPrefix(directory + "/") == true, "\(output["name"] ?? "") is written to \(directory)")
        }
    }

    /// The service's configurations (with their `serve:` sections) are real too, once the
    /// binary has the `serve` command: `check` parses them and resolves every reference.
    @Test(arguments: ["base", "overlays/dev"])
    func theServiceConfigurationChecksAgainstTheEmulator(relative: String) throws {
        let workspace = try Workspace()
        // The usage lists every subcommand, one per line: "  serve   Serve ...".
        let help = try CommandRunner.run(["--help"], in: workspace.url)
        if !help.stdoutText.split(separator: "\n").contains(where: { $0.hasPrefix("  serve ") }) {
            try DeployTools.skip("this build has no `serve` command, so it cannot read a `serve:` section yet")
        }
        try FileManager.default.copyItem(
            at: Self.directory.appendingPathComponent(relative).appendingPathComponent("secretsmith.yaml"),
            to: workspace.url.appendingPathComponent("secretsmith.yaml"))
        try FileManager.default.copyItem(
            at: DeployTools.packageRoot.appendingPathComponent("examples/emulator-seed.yaml"),
            to: workspace.url.appendingPathComponent("seed.yaml"))
        let environment = relative == "base" ? "prod" : "dev"
        try withEmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace) { emulator in
            let check = try CommandRunner.run(
                ["check", "--config", "secretsmith.yaml", "--env", environment], in: workspace.url,
                environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
            #expect(check.status == 0, "\(relative): \(check.stdoutText) \(check.stderr)")
        }
    }

    /// The application's configuration and template are real: `check` resolves every
    /// reference against the emulator (which holds the examples' acme-billing-prod).
    @Test func theApplicationConfigurationChecksAgainstTheEmulator() throws {
        let workspace = try Workspace()
        try FileManager.default.copyItem(
            at: Self.directory.appendingPathComponent("app-example"), to: workspace.url.appendingPathComponent("app"))
        try FileManager.default.copyItem(
            at: DeployTools.packageRoot.appendingPathComponent("examples/emulator-seed.yaml"),
            to: workspace.url.appendingPathComponent("seed.yaml"))
        try withEmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace) { emulator in
            let check = try CommandRunner.run(
                ["check", "--config", "app/secretsmith.yaml", "--env", "prod"], in: workspace.url,
                environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
            #expect(check.status == 0, "\(check.stdoutText) \(check.stderr)")
        }
    }
}

/// The container settings of the restricted Pod Security Standard
/// (https://kubernetes.io/docs/concepts/security/pod-security-standards/), plus resource
/// requests and limits, checked over one pod spec.
enum RestrictedProfile {
    /// One line per missing or wrong setting, naming the container and the setting.
    static func violations(_ pod: [String: Any]) -> [String] {
        var problems: [String] = []
        let podContext = pod["securityContext"] as? [String: Any] ?? [:]
        for field in ["hostNetwork", "hostPID", "hostIPC"] where pod[field] as? Bool == true {
            problems.append("the pod sets \(field)")
        }
        for volume in pod.array(at: "volumes") where volume["hostPath"] != nil {
            problems.append("volume \(volume["name"] ?? "") is a hostPath")
        }
        let containers = pod.array(at: "initContainers") + pod.array(at: "containers")
        if containers.isEmpty { problems.append("no containers") }
        for container in containers {
            let name = container["name"] as? String ?? "?"
            let context = container["securityContext"] as? [String: Any] ?? [:]
            if context["allowPrivilegeEscalation"] as? Bool != false {
                problems.append("\(name): allowPrivilegeEscalation is not false")
            }
            let capabilities = context["capabilities"] as? [String: Any] ?? [:]
            if !((capabilities["drop"] as? [String]) ?? []).contains("ALL") {
                problems.append("\(name): capabilities do not drop ALL")
            }
            if let added = capabilities["add"] as? [String], !added.isEmpty {
                problems.append("\(name): capabilities add \(added)")
            }
            if context["readOnlyRootFilesystem"] as? Bool != true {
                problems.append("\(name): readOnlyRootFilesystem is not true")
            }
            if context["privileged"] as? Bool == true { problems.append("\(name): privileged") }
            let nonRoot = (context["runAsNonRoot"] ?? podContext["runAsNonRoot"]) as? Bool
            if nonRoot != true { problems.append("\(name): runAsNonRoot is not true") }
            if ((context["runAsUser"] ?? podContext["runAsUser"]) as? Int) == 0 {
                problems.append("\(name): runAsUser is 0")
            }
            let seccomp = (context["seccompProfile"] ?? podContext["seccompProfile"]) as? [String: Any]
            if !["RuntimeDefault", "Localhost"].contains(seccomp?["type"] as? String ?? "") {
                problems.append("\(name): seccompProfile is not RuntimeDefault")
            }
            for kind in ["requests", "limits"] {
                let values = (container["resources"] as? [String: Any])?[kind] as? [String: Any] ?? [:]
                if values["cpu"] == nil || values["memory"] == nil {
                    problems.append("\(name): resources \(kind) lack cpu or memory")
                }
            }
        }
        return problems
    }
}
