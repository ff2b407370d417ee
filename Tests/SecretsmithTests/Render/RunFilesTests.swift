import Foundation
import Glibc
@testable import Secretsmith
import Testing

/// No output may write a file the run reads or another output writes; templates must be
/// regular files.
@Suite("Files of a run: clashes and templates")
struct RunFilesTests {
    /// A configuration in a new directory, parsed from `secretsmith.yaml` there.
    func configuration(_ outputs: String, files: [String: String] = [:]) throws -> (Configuration, String) {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        for (name, text) in files {
            try FileManager.default.createDirectory(
                atPath: (directory + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try OutputTestSupport.writeFile(directory + "/" + name, Array(text.utf8))
        }
        let text = """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { a: {} } }
            outputs:
            \(outputs)
            """
        try OutputTestSupport.writeFile(directory + "/secretsmith.yaml", Array(text.utf8))
        let configuration = try Configuration.load(path: directory + "/secretsmith.yaml", environment: [:])
        return (configuration, directory)
    }

    func problems(_ configuration: Configuration) -> [String] {
        RenderPlan.collect(configuration: configuration, environment: "dev", only: []).problems.map(\.description)
    }

    @Test(
        "an output over the configuration, its own template, another's template or the lock file is refused (65)",
        arguments: [
            "path: secretsmith.yaml", "path: ./secretsmith.yaml", "path: sub/../secretsmith.yaml",
            "path: t.tmpl", "path: sub/../t.tmpl", "path: other.tmpl", "path: secretsmith.lock",
        ])
    func clashesWithFilesTheRunReads(path: String) throws {
        let (configuration, directory) = try configuration(
            """
              - { name: evil, format: template, template: t.tmpl, \(path) }
              - { name: other, format: template, template: other.tmpl, path: out/other }
            """, files: ["t.tmpl": "x\n", "other.tmpl": "y\n", "sub/keep": ""])
        defer { OutputTestSupport.removeTree(directory) }
        let found = problems(configuration)
        #expect(found.count == 1, "\(found)")
        let text = found.joined()
        #expect(text.contains("Output \"evil\" would write"), "\(text)")
        #expect(text.contains("outputs.evil.path"), "\(text)")
        #expect(
            ["the configuration file", "the template of output \"evil\"", "the template of output \"other\"", "the lock file"]
                .contains { text.contains($0) }, "\(text)")
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: ["evil"])
        }
        #expect(failure?.kind == .configuration)
    }

    @Test("a clash through a linked directory or a followed link is found too")
    func clashesThroughLinks() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: one, format: dotenv, path: alias/app.env, values: { A: app/a } }
              - { name: two, format: dotenv, path: real/app.env, values: { A: app/a } }
              - { name: three, format: dotenv, path: link.env, follow_symlinks: true, values: { A: app/a } }
            """, files: ["real/keep": ""])
        defer { OutputTestSupport.removeTree(directory) }
        #expect(symlink("real", directory + "/alias") == 0)
        #expect(symlink("secretsmith.yaml", directory + "/link.env") == 0)
        let found = problems(configuration)
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.contains("Output \"one\" and output \"two\" both write") }, "\(found)")
        #expect(found.contains { $0.contains("Output \"three\" would write") && $0.contains("the configuration file") })
    }

    @Test("a path through a missing directory and dot-dot plans at once and writes beside it")
    func missingDirectoryAndDotDot() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: q, format: dotenv, path: out/nonexist/../q.env, values: { A: app/a } }
            """, files: ["out/keep": ""])
        defer { OutputTestSupport.removeTree(directory) }
        let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        #expect(plan.outputs[0].output.path == FilePaths.absolute(directory + "/out/q.env"))
        let results = try AtomicFileWriter(registry: StagedFileRegistry()).write([
            (path: plan.outputs[0].output.path, bytes: Array("A=1\n".utf8), options: WriteOptions())
        ])
        #expect(results[0].status == .written)
        #expect(!FileManager.default.fileExists(atPath: directory + "/out/nonexist"))
        // The writer normalises a raw path the same way.
        _ = try AtomicFileWriter(registry: StagedFileRegistry()).write([
            (path: directory + "/out/missing/../r.env", bytes: [1], options: WriteOptions())
        ])
        #expect(FileManager.default.fileExists(atPath: directory + "/out/r.env"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/out/missing"))
    }

    @Test(
        "a template that is not a regular file is a configuration error, and a FIFO does not hang",
        arguments: ["tdir", "/dev/null", ".", "fifo"])
    func templateMustBeARegularFile(template: String) throws {
        let (configuration, directory) = try configuration(
            """
              - { name: t, format: template, template: "\(template)", path: out/t.env }
            """, files: ["tdir/keep": ""])
        defer { OutputTestSupport.removeTree(directory) }
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        let found = problems(configuration)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("not a regular file") == true, "\(found)")
        #expect(found.first?.contains("outputs.t.template") == true, "\(found)")
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        }
        #expect(failure?.kind == .configuration)
    }

    @Test("a NUL in an output path is refused when the configuration is read")
    func nulInPath() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let text = """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { a: {} } }
            outputs:
              - { name: a, format: dotenv, path: "out/a.env\\0x", values: { A: app/a } }
            """
        let error = #expect(throws: ConfigurationError.self) {
            _ = try Configuration.parse(Array(text.utf8), file: directory + "/secretsmith.yaml", environment: [:])
        }
        #expect(error?.description.contains("NUL") == true, "\(String(describing: error))")
        #expect(error?.kind == .configuration)
    }

    @Test("command-line files clash with the configuration, outputs and each other")
    func commandLineFiles() throws {
        let (configuration, directory) = try configuration(
            """
              - { name: a, format: dotenv, path: out/a.env, values: { A: app/a } }
            """)
        defer { OutputTestSupport.removeTree(directory) }
        let flags = RunFiles.commandLine([
            ("--manifest", directory + "/out/a.env"), ("--metrics-file", directory + "/secretsmith.yaml"),
            ("--trace-file", directory + "/t.jsonl"), ("--unused", nil),
        ])
        #expect(flags.count == 3)
        let clashes = RunFiles(files: RunFiles.of(configuration, selected: []).files + flags)
            .clashes(configurationFile: configuration.file)
        let text = clashes.map(\.description)
        #expect(text.count == 1, "\(text)")
        #expect(text.first?.contains("--metrics-file would write") == true)
        let withOutputs = RunFiles(files: RunFiles.of(configuration, selected: configuration.outputs).files + flags)
            .clashes(configurationFile: configuration.file)
        #expect(withOutputs.map(\.description).contains { $0.contains("Output \"a\" and --manifest both write") })
    }

    /// A configuration whose `defaults` set `credentials` (nil: the built-in adc).
    func configuration(credentials: String?, output path: String) throws -> (Configuration, String) {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        let defaults = credentials.map { "defaults:\n  credentials: \($0)\n" } ?? ""
        let text = """
            version: 1
            \(defaults)environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { a: {} } }
            outputs:
              - { name: o, format: dotenv, path: "\(path)", values: { A: app/a } }
            """
        try OutputTestSupport.writeFile(directory + "/secretsmith.yaml", Array(text.utf8))
        return (try Configuration.load(path: directory + "/secretsmith.yaml", environment: [:]), directory)
    }

    @Test(
        "an output or a flag's file over the key file Application Default Credentials read is refused (65)",
        arguments: [
            (nil as String?, "GOOGLE_APPLICATION_CREDENTIALS", "g/sa.json"),
            ("{ type: adc }", "GOOGLE_APPLICATION_CREDENTIALS", "g/sa.json"),
            ("{ type: impersonate, target_service_account: t@p.iam.gserviceaccount.com }",
             "GOOGLE_APPLICATION_CREDENTIALS", "g/sa.json"),
            (nil, "CLOUDSDK_CONFIG", "g/application_default_credentials.json"),
            (nil, "HOME", ".config/gcloud/application_default_credentials.json"),
        ])
    func applicationDefaultCredentialsFile(credentials: String?, variable: String, file: String) throws {
        let (configuration, directory) = try configuration(credentials: credentials, output: file)
        defer { OutputTestSupport.removeTree(directory) }
        let value = variable == "GOOGLE_APPLICATION_CREDENTIALS" ? directory + "/g/sa.json"
            : variable == "CLOUDSDK_CONFIG" ? directory + "/g" : directory
        let environment = [variable: value]
        let clashes = RunFiles.of(configuration, selected: configuration.outputs, environment: environment)
            .clashes(configurationFile: configuration.file).map(\.description)
        #expect(clashes.count == 1, "\(clashes)")
        #expect(clashes.first?.contains("Output \"o\" would write \(directory)/\(file), which is the credentials file") == true,
                "\(clashes)")
        #expect(clashes.first?.contains("outputs.o.path") == true, "\(clashes)")
        let flags = RunFiles.commandLine([("--metrics-file", directory + "/" + file), ("--trace-file", directory + "/" + file)])
        let flagClashes = RunFiles(files: RunFiles.of(configuration, selected: [], environment: environment).files + flags)
            .clashes(configurationFile: configuration.file).map(\.description)
        #expect(flagClashes.contains { $0.contains("--metrics-file would write") && $0.contains("the credentials file") },
                "\(flagClashes)")
    }

    @Test("credentials that read no file (service_account_json, metadata) add none, whatever the environment says")
    func credentialsWithoutAFile() throws {
        for credentials in ["{ type: service_account_json, json_env: KEY }", "{ type: metadata }"] {
            let (configuration, directory) = try configuration(credentials: credentials, output: "g/sa.json")
            defer { OutputTestSupport.removeTree(directory) }
            let environment = ["GOOGLE_APPLICATION_CREDENTIALS": directory + "/g/sa.json"]
            let clashes = RunFiles.of(configuration, selected: configuration.outputs, environment: environment)
                .clashes(configurationFile: configuration.file)
            #expect(clashes.isEmpty, "\(clashes)")
        }
    }

    @Test("a newline or other control character in an output path is refused when the configuration is read",
          arguments: ["out/a\\n.env", "out/a\\t.env", "out/\\x1b[31m.env", "out/a\\x7f.env"])
    func controlCharacterInPath(path: String) throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let text = """
            version: 1
            environments:
              dev:
                projects:
                  app: { project_id: acme-app-dev, secrets: { a: {} } }
            outputs:
              - { name: a, format: dotenv, path: "\(path)", values: { A: app/a } }
            """
        let error = #expect(throws: ConfigurationError.self) {
            _ = try Configuration.parse(Array(text.utf8), file: directory + "/secretsmith.yaml", environment: [:])
        }
        #expect(error?.description.contains("control character") == true, "\(String(describing: error))")
        #expect(error?.keyPath == "outputs[0].path")
        #expect(error?.kind == .configuration)
    }

    @Test(
        "an output at a name an atomic_dir group reserves (..data, ..data_tmp, its data directories) is refused (65)",
        arguments: ["out/..data", "out/..data_tmp", "out/..data/b.sh", "out/..2026_01_31_23_59_59.123456789",
                    "out/..2026_01_31_23_59_59.123456789/b.sh", "out/sub/..x"])
    func atomicDirectoryReservedNames(path: String) throws {
        let (configuration, directory) = try configuration(
            """
              - { name: a, format: dotenv, path: out/a.sh, atomic_dir: true, values: { A: app/a } }
              - { name: b, format: dotenv, path: "\(path)", values: { B: app/a } }
            """)
        defer { OutputTestSupport.removeTree(directory) }
        let found = problems(configuration)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.contains("Output \"b\" would write") == true, "\(found)")
        #expect(found.first?.contains("output \"a\"'s atomic_dir: true reserves") == true, "\(found)")
        #expect(found.first?.contains("outputs.b.path") == true, "\(found)")
        let failure = #expect(throws: RenderFailure.self) {
            _ = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
        }
        #expect(failure?.kind == .configuration)
        // The same names beside another directory, or a name merely containing "..", are fine.
        let (fine, other) = try self.configuration(
            """
              - { name: a, format: dotenv, path: out/a.sh, atomic_dir: true, values: { A: app/a } }
              - { name: b, format: dotenv, path: "elsewhere/\(path.dropFirst(4))", values: { B: app/a } }
              - { name: c, format: dotenv, path: "out/sub/x..y", values: { B: app/a } }
            """)
        defer { OutputTestSupport.removeTree(other) }
        #expect(problems(fine).isEmpty, "\(problems(fine))")
    }
}
