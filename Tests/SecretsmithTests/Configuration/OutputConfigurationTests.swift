import Testing
import YAML
@testable import Secretsmith

@Suite("Configuration outputs")
struct OutputConfigurationTests {
    @Test("all output keys parse")
    func allKeys() throws {
        let configuration = try ConfigurationTesting.parse("""
        version: 1
        environments:
          dev: { file_mode: "0640" }
        outputs:
          - name: env.file
            format: docker-env-file
            path: /run/secrets/app.env
            values: { B: dev/p/s, A: "p/s@3#/x" }
            environment: dev
            follow_symlinks: true
            create_dirs: false
            owner: app
            group: 1000
        """)
        let output = try #require(configuration.outputs.first)
        #expect(output.format == .dockerEnvFile)
        #expect(output.path == "/run/secrets/app.env")
        #expect(output.values.map(\.key) == ["B", "A"])
        #expect(output.values[1].parsedReference.version == "3")
        #expect(output.environment == "dev")
        #expect(output.followSymlinks)
        #expect(!output.createDirectories)
        #expect(output.owner == "app")
        #expect(output.group == "1000")
        #expect(output.mode.rawValue == 0o640)  // the output's environment's file_mode
        #expect(output.mark == Mark(line: 5, column: 5))
    }

    @Test("the active environment's file_mode applies to outputs without a mode")
    func activeEnvironmentMode() throws {
        let configuration = try ConfigurationTesting.parse("""
        version: 1
        defaults: { file_mode: "0600" }
        environments:
          dev: { file_mode: "0660" }
          prod: {}
        outputs:
          - { name: a, format: json, path: a.json, values: { k: p/s } }
          - { name: b, format: json, path: b.json, values: { k: p/s }, mode: "0400" }
        """)
        let a = configuration.outputs[0], b = configuration.outputs[1]
        #expect(configuration.fileMode(for: a, activeEnvironment: "dev").rawValue == 0o660)
        #expect(configuration.fileMode(for: a, activeEnvironment: "prod").rawValue == 0o600)
        #expect(configuration.fileMode(for: a, activeEnvironment: nil).rawValue == 0o600)
        #expect(configuration.fileMode(for: b, activeEnvironment: "dev").rawValue == 0o400)
    }

    @Test("output errors: format, required keys, values, names")
    func errors() {
        func outputError(_ body: String) -> ConfigurationError? {
            ConfigurationTesting.error("version: 1\nenvironments: { dev: {} }\noutputs:\n  - " + body + "\n")
        }
        #expect(outputError("{ name: a, format: dotenvv, path: x, values: { A: p/s } }")?.hint == "Did you mean \"dotenv\"?")
        #expect(outputError("{ name: a, format: dotenv, values: { A: p/s } }")?.keyPath == "outputs[0].path")
        #expect(outputError("{ name: a, format: dotenv, path: x }")?.keyPath == "outputs[0].values")
        #expect(outputError("{ name: a, format: template, path: x }")?.keyPath == "outputs[0].template")
        #expect(outputError("{ name: a, format: template, path: x, template: t, values: { A: p/s } }")?.keyPath
            == "outputs[0].values")
        #expect(outputError("{ name: a, format: json, path: x, template: t, values: { A: p/s } }")?.keyPath
            == "outputs[0].template")
        let badKey = outputError("{ name: a, format: shell, path: x, values: { 1A: p/s } }")
        #expect(badKey?.keyPath == "outputs[0].values.1A")
        #expect(badKey?.mark == Mark(line: 4, column: 50))
        let badRef = outputError("{ name: a, format: dotenv, path: x, values: { A: 'p/s@0' } }")
        #expect(badRef?.message.contains("Invalid secret reference \"p/s@0\"") == true)
        #expect(badRef?.keyPath == "outputs[0].values.A")
        #expect(badRef?.mark == Mark(line: 4, column: 54))
        let badEnv = outputError("{ name: a, format: dotenv, path: x, values: { A: p/s }, environment: deev }")
        #expect(badEnv?.hint == "Did you mean \"dev\"?")
        let duplicate = ConfigurationTesting.error("""
        version: 1
        outputs:
          - { name: a, format: json, path: x, values: { k: p/s } }
          - { name: a, format: json, path: y, values: { k: p/s } }
        """)
        #expect(duplicate?.message == "output name \"a\" is used twice (first at 3:5)")
        #expect(duplicate?.mark == Mark(line: 4, column: 13))
    }

    @Test("json outputs accept any non-empty key")
    func jsonKeys() throws {
        let configuration = try ConfigurationTesting.parse(
            "version: 1\noutputs:\n  - { name: a, format: json, path: x, values: { 'a.b-c': p/s } }\n"
        )
        #expect(configuration.outputs[0].values[0].key == "a.b-c")
    }
}
