import Foundation
import SecretsmithTestSupport
import Testing

/// Values travel from the emulator through `dotenv`, `shell` and template outputs and are
/// read back byte for byte by the programs that consume them.
@Suite(.serialized) struct ConsumerRoundTripEndToEndTests {
    static let sentinel = CommandRunner.sentinel

    /// Tricky values (quotes, newlines, shell metacharacters, non-ASCII), each holding the sentinel.
    static let values: [(key: String, value: String)] = [
        ("DOLLAR", "a$b-\(sentinel)"),
        ("BRACED", "${HOME}-\(sentinel)"),
        ("HASH", "x #not a comment \(sentinel)"),
        ("SINGLE", "it's-\(sentinel)"),
        ("DOUBLE", "say \"hi\" \(sentinel)"),
        ("BACKSLASH", "a\\b\\\\c-\(sentinel)"),
        ("TRAILING_BACKSLASH", "\(sentinel)-ends\\"),
        ("NEWLINES", "line1\nline2-\(sentinel)\nline3"),
        ("TRAILING_NEWLINE", "\(sentinel)\n"),
        ("NON_ASCII", "héllo 日本 🚀 \(sentinel)"),
        ("EMPTY", ""),
        ("COMMAND", "$(touch pwned)`touch pwned2`-\(sentinel)"),
        ("SPACES", "  padded \(sentinel)  "),
    ]

    func makeWorkspace() throws -> (Workspace, EmulatorProcess) {
        let workspace = try Workspace()
        var seed = SeedBuilder()
        var secrets = ""
        var values = ""
        for (key, value) in Self.values {
            let name = key.lowercased().replacingOccurrences(of: "_", with: "-")
            seed.add(project: "acme-app-dev", secret: name, value: value)
            secrets += "          \(name): {}\n"
            values += "      \(key): app/\(name)\n"
        }
        try workspace.write("seed.yaml", seed.yaml)
        try workspace.write(
            "secretsmith.yaml",
            """
            \(ConfigurationText.devApp)
            \(secrets)
            outputs:
              - name: dotenv
                format: dotenv
                path: out/app.env
                values:
            \(values)
              - name: shell
                format: shell
                path: out/secrets.sh
                values:
            \(values)
            """)
        let emulator = try EmulatorProcess(seed: workspace.path("seed.yaml"), in: workspace)
        let result = try CommandRunner.run(
            ["render", "--env", "dev"], in: workspace.url, environment: ["SECRET_MANAGER_EMULATOR_HOST": emulator.host])
        #expect(result.status == 0, "\(result.stderr)")
        return (workspace, emulator)
    }

    @Test func pythonDotenvReadsTheDotenvFileBackExactly() throws {
        let (workspace, _) = try makeWorkspace()
        // `make test` points SECRETSMITH_TEST_PYTHON at a virtual environment with python-dotenv.
        let python = ProcessInfo.processInfo.environment["SECRETSMITH_TEST_PYTHON"] ?? "python3"
        let prefix = python.contains("/") ? [python] : ["/usr/bin/env", python]
        let script = """
            import json, sys
            from dotenv import dotenv_values
            values = dotenv_values(sys.argv[1])
            sys.stdout.write(json.dumps({k: v for k, v in values.items()}))
            """
        let result = try CommandRunner.execute(
            prefix + ["-c", script, workspace.path("out/app.env")], in: workspace.url, environment: [:])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: String] ?? [:]
        for (key, value) in Self.values {
            #expect(parsed[key] == value, "\(key) read back by python-dotenv")
        }
        #expect(!workspace.exists("pwned") && !workspace.exists("pwned2"))
    }

    @Test("POSIX shells source the shell file back exactly", arguments: ["/bin/sh", "dash", "bash"])
    func shellsSourceTheShellFileExactly(shell: String) throws {
        let (workspace, _) = try makeWorkspace()
        // Print each variable as hex so every byte, trailing newlines included, survives.
        var script = ". ./out/secrets.sh\n"
        for (key, _) in Self.values {
            script += "printf '%s=' \(key); printf '%s' \"$\(key)\" | od -An -v -tx1 | tr -d ' \\n'; echo\n"
        }
        let result = try CommandRunner.execute(
            ["/usr/bin/env", shell, "-c", script], in: workspace.url, environment: [:])
        #expect(result.status == 0, "\(result.stderr)")
        var seen: [String: String] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { seen[String(parts[0])] = String(parts[1]) }
        }
        for (key, value) in Self.values {
            let hex = value.utf8.map { String(format: "%02x", $0) }.joined()
            #expect(seen[key] == hex, "\(key) read back by \(shell)")
        }
        #expect(!workspace.exists("pwned") && !workspace.exists("pwned2"))
    }
}
