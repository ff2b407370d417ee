import Foundation
import SecretsmithTestSupport
import Testing

/// `--metrics-file`, `--trace-file`, `TRACEPARENT`, `--stats` and the log formats, run by
/// the built binary against the emulator process.
@Suite(.serialized) struct ObservabilityEndToEndTests {
    static let sentinel = CommandRunner.sentinel
    static let remoteTrace = "0af7651916cd43dd8448eb211c80319c"
    static let remoteParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    /// Five secrets in `acme-app-dev` and one in `acme-web-dev`, two outputs; the first two
    /// access calls answer 503 (retried).
    func makeWorkspace(extraValues: String = "", faults: Bool = true) throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        for n in 1...5 { seed.add(project: "acme-app-dev", secret: "s\(n)", value: "v\(n)-\(Self.sentinel)") }
        seed.add(project: "acme-web-dev", number: 222_222_222_222, secret: "cookie", value: "c-\(Self.sentinel)")
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            version: 1
            defaults:
              retry: { max_attempts: 4, initial_backoff: 10ms, max_backoff: 20ms }
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { s1: {}, s2: {}, s3: {}, s4: {}, s5: {}, missing: {} } }
                  web: { project_id: acme-web-dev, secrets: { cookie: {} } }
            outputs:
              - name: app
                format: dotenv
                path: out/app.env
                values: { S1: app/s1, S2: app/s2, S3: app/s3, S4: app/s4, S5: app/s5\(extraValues) }
              - name: web
                format: json
                path: out/web.json
                values: { COOKIE: web/cookie, S1: app/s1 }

            """)
        let emulator = try EmulatorProcess(
            seed: workspace.path("seed.yaml"), in: workspace,
            extraArguments: faults ? ["--fault", "error:503,method=access,count=2"] : [])
        return (workspace, emulator)
    }

    /// Parses a Prometheus text file with `prometheus_client`'s parser (an independent
    /// implementation) and returns every sample.
    func parseMetrics(_ path: String, in workspace: Workspace) throws -> [Sample] {
        let python = ProcessInfo.processInfo.environment["SECRETSMITH_TEST_PYTHON"] ?? "python3"
        let prefix = python.contains("/") ? [python] : ["/usr/bin/env", python]
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            samples = []
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    samples.append({"family": family.name, "type": family.type, "name": s.name,
                                    "labels": s.labels, "value": s.value})
            sys.stdout.write(json.dumps(samples))
            """
        let result = try CommandRunner.execute(prefix + ["-c", script, path], in: workspace.url, environment: [:])
        #expect(result.status == 0, "prometheus_client could not parse the file: \(result.stderr)")
        let objects = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [[String: Any]] ?? []
        return objects.map {
            Sample(
                family: $0["family"] as? String ?? "", type: $0["type"] as? String ?? "", name: $0["name"] as? String ?? "",
                labels: $0["labels"] as? [String: String] ?? [:], value: ($0["value"] as? NSNumber)?.doubleValue ?? .nan)
        }
    }

    struct Sample {
        var family, type, name: String
        var labels: [String: String]
        var value: Double
    }

    func sum(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .map(\.value).reduce(0, +)
    }

    @Test func theMetricsFileParsesAndItsCountsMatchTheEmulator() throws {
        let (workspace, emulator) = try makeWorkspace()
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--metrics-file", "metrics/secretsmith.prom"], in: workspace.url,
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let stats = EmulatorStats(try emulator.stats())
        let samples = try parseMetrics(workspace.path("metrics/secretsmith.prom"), in: workspace)
        #expect(!samples.isEmpty)
        // Six distinct versions; two 503s were retried.
        #expect(stats.accessCalls == 8)
        #expect(sum(samples, "secretsmith_upstream_requests_total") == Double(stats.accessCalls))
        #expect(sum(samples, "secretsmith_upstream_requests_total", ["status": "UNAVAILABLE"]) == 2)
        #expect(sum(samples, "secretsmith_retries_total", ["reason": "UNAVAILABLE"]) == 2)
        #expect(sum(samples, "secretsmith_access_requests_total", ["status": "OK"]) == 6)
        #expect(sum(samples, "secretsmith_access_requests_total", ["project": "acme-web-dev"]) == 1)
        #expect(sum(samples, "secretsmith_cache_misses_total", ["environment": "dev"]) == 6)
        #expect(sum(samples, "secretsmith_access_duration_seconds_count") == 6)
        #expect(sum(samples, "secretsmith_outputs_total", ["result": "written"]) == 2)
        #expect(sum(samples, "secretsmith_circuit_breaker_state") == 0)
        #expect(sum(samples, "secretsmith_run_exit_code", ["command": "render"]) == 0)
        #expect(samples.contains { $0.family == "secretsmith_access_duration_seconds" && $0.type == "histogram" })
        #expect(samples.contains { $0.family == "secretsmith_upstream_requests" && $0.type == "counter" })
        let text = String(decoding: try workspace.read("metrics/secretsmith.prom"), as: UTF8.self)
        #expect(text.contains("# HELP secretsmith_access_requests_total "))
        #expect(!text.contains(Self.sentinel) && !text.contains("cookie"))
        #expect(try workspace.mode("metrics/secretsmith.prom") == 0o644)

        // A second run changes nothing: every output is counted unchanged.
        let again = try CommandRunner.run(
            ["render", "--env", "dev", "--metrics-file", "metrics/secretsmith.prom"], in: workspace.url,
            environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        let second = try parseMetrics(workspace.path("metrics/secretsmith.prom"), in: workspace)
        #expect(sum(second, "secretsmith_outputs_total", ["result": "unchanged"]) == 2)
        #expect(sum(second, "secretsmith_outputs_total", ["result": "written"]) == 0)
    }

    @Test func aFailedRunStillWritesTheMetricsFile() throws {
        let (workspace, emulator) = try makeWorkspace(extraValues: ", GONE: app/missing", faults: false)
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--metrics-file", "run.prom"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 66, "\(result.stderr)")
        let samples = try parseMetrics(workspace.path("run.prom"), in: workspace)
        #expect(sum(samples, "secretsmith_run_exit_code", ["command": "render"]) == 66)
        #expect(sum(samples, "secretsmith_access_requests_total", ["status": "NOT_FOUND"]) == 1)
        #expect(sum(samples, "secretsmith_outputs_total") == 0)
        #expect(!workspace.exists("out/app.env"))
    }

    @Test func traceparentParentsTheRunAndReachesTheEmulator() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--trace-file", "trace.jsonl"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "TRACEPARENT": Self.remoteParent])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: try workspace.read("trace.jsonl"), as: UTF8.self)
        #expect(!text.contains(Self.sentinel))
        let spans = try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        func named(_ name: String) -> [[String: Any]] { spans.filter { $0["name"] as? String == name } }
        #expect(spans.allSatisfy { $0["trace_id"] as? String == Self.remoteTrace })
        let run = try #require(named("secretsmith render").first)
        #expect(run["parent_span_id"] as? String == "b7ad6b7169203331")
        let render = try #require(named("secretsmith.render").first)
        #expect(render["parent_span_id"] as? String == run["span_id"] as? String)
        #expect(named("secretsmith.config.load").first?["parent_span_id"] as? String == run["span_id"] as? String)
        let fetches = named("secretsmith.secret.access")
        #expect(fetches.count == 6)
        #expect(fetches.allSatisfy { $0["parent_span_id"] as? String == render["span_id"] as? String })
        // Attempts are events: six first attempts, two of them 503, then two retries.
        let attempts = fetches.flatMap { $0["events"] as? [[String: Any]] ?? [] }
            .filter { $0["name"] as? String == "secretsmith.attempt" }
        #expect(attempts.count == 8)
        let failed = attempts.compactMap { $0["attributes"] as? [String: Any] }
            .filter { $0["http.response.status_code"] as? Int == 503 }
        #expect(failed.count == 2 && failed.allSatisfy { $0["error.type"] as? String == "UNAVAILABLE" })
        #expect(named("secretsmith.output.render").count == 2)
        #expect(named("secretsmith.outputs.write").count == 1)
        let requests = spans.filter { $0["kind"] as? String == "client" }
        #expect(requests.count == 8)

        // Every request the emulator received carried the trace, each with its own span id.
        let received = EmulatorStats(try emulator.stats()).json["traceparents"] as? [String] ?? []
        #expect(received.count == 8)
        #expect(Set(received) == Set(requests.map { "00-\(Self.remoteTrace)-\($0["span_id"] as? String ?? "")-01" }))
    }

    @Test func statsGoToStandardErrorAndStdoutStaysTheOutput() throws {
        let (workspace, emulator) = try makeWorkspace(faults: false)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": emulator.host]
        let json = try CommandRunner.run(
            ["render", "--env", "dev", "--only", "web", "--stdout", "--stats", "json"], in: workspace.url,
            environment: environment, stdoutMayHoldValues: true)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: String]
        #expect(object?["COOKIE"] == "c-\(Self.sentinel)")
        let line = try #require(json.stderr.split(separator: "\n").last)
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(stats["requests"] as? Int == 2)
        #expect(stats["cacheMisses"] as? Int == 2)
        #expect(stats["upstreamCalls"] as? Int == 2)
        #expect((stats["accessLatency"] as? [String: Any])?["count"] as? Int == 2)

        let text = try CommandRunner.run(["render", "--env", "dev", "--stats"], in: workspace.url, environment: environment)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.contains("secretsmith stats:\n  requests 6\n"), "\(text.stderr)")
        #expect(text.stdoutText.contains("written out/app.env"))
    }

    @Test func textLogsAreReadableLines() throws {
        let (workspace, emulator) = try makeWorkspace(faults: false)
        let result = try CommandRunner.run(
            ["render", "--env", "dev", "--log-level", "info"], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 0, "\(result.stderr)")
        let accessed = result.stderr.split(separator: "\n").filter { $0.contains("secret accessed") }
        #expect(accessed.count == 6)
        for line in accessed {
            #expect(!line.hasPrefix("{"))
            #expect(line.contains("info") && line.contains("secret.ref=app/") || line.contains("secret.ref=web/"))
            #expect(line.contains("cache=miss"))
        }
    }

    /// The sentinel check of everything observability writes in one run at the most
    /// verbose settings: trace-level JSON logs, the metrics file, the trace file, stats.
    @Test func noValueReachesLogsMetricsSpansOrStats() throws {
        let (workspace, emulator) = try makeWorkspace()
        let result = try CommandRunner.run(
            [
                "render", "--env", "dev", "--log-format", "json", "--log-level", "trace", "--metrics-file", "m.prom",
                "--trace-file", "t.jsonl", "--stats", "json",
            ], in: workspace.url,
            environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host, "TRACEPARENT": Self.remoteParent])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("\"secret accessed\"") && result.stderr.contains("\"trace_id\":\"\(Self.remoteTrace)\""))
        for file in ["m.prom", "t.jsonl"] {
            let text = String(decoding: try workspace.read(file), as: UTF8.self)
            #expect(!text.isEmpty && !text.contains(Self.sentinel), "\(file)")
            #expect(!text.contains("v1-") && !text.contains("c-SENT"), "\(file)")
        }
    }
}
