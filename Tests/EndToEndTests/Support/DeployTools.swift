import Foundation
import SecretsmithTestSupport
import Testing

/// What the tests of deploy/ (the release binary, the image's root file system, the
/// Kubernetes, Cloud Run and GitHub Actions files) share: the tools they run and a YAML
/// reader.
enum DeployTools {
    /// The package root.
    static let packageRoot: URL = BuiltBinary.packageRoot

    /// `true` under CI (`CI=true`): a missing tool fails the test instead of skipping it.
    static let underCI: Bool = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    /// The first executable `name` on `PATH` (or `name` itself when it holds a `/`).
    static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The python interpreter of `make test`'s virtual environment (`$SECRETSMITH_TEST_PYTHON`,
    /// which has PyYAML and kubernetes-validate), else `python3` on `PATH`.
    static var python: String {
        ProcessInfo.processInfo.environment["SECRETSMITH_TEST_PYTHON"] ?? which("python3") ?? "/usr/bin/python3"
    }

    nonisolated(unsafe) private static var skipped = 0
    private static let skippedLock = NSLock()

    /// Skips the current test (`Test.cancel`), and says so on standard error with the
    /// number of tests skipped so far in this test process: a cancelled test is reported
    /// as passed, without its reason.
    static func skip(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
        skippedLock.lock()
        skipped += 1
        let count = skipped
        skippedLock.unlock()
        let test = Test.current?.name ?? "a test"
        FileHandle.standardError.write(
            Data("SKIPPED \(test) (\(sourceLocation.fileName):\(sourceLocation.line)), \(count) skipped so far: \(reason)\n".utf8))
        try Test.cancel("skipped: \(reason)", sourceLocation: sourceLocation)
    }

    /// `tool`'s path, or the current test skipped (failed under CI) with `hint`.
    static func require(_ tool: String?, named name: String, hint: String) throws -> String {
        if let tool { return tool }
        let message = "\(name) is not installed: \(hint)"
        if underCI {
            Issue.record(Comment(rawValue: message))
            throw ToolMissing(message: message)
        }
        try skip(message)
    }

    /// kubectl (its built-in kustomize renders the overlays offline).
    static func kubectl() throws -> String {
        try require(which("kubectl"), named: "kubectl", hint: "install kubectl to render deploy/kubernetes")
    }

    /// `kubernetes-validate` from PyPI, next to `make test`'s python, else on `PATH`.
    static func kubernetesValidate() throws -> String {
        let beside = URL(fileURLWithPath: python).deletingLastPathComponent()
            .appendingPathComponent("kubernetes-validate").path
        let found = FileManager.default.isExecutableFile(atPath: beside) ? beside : which("kubernetes-validate")
        return try require(
            found, named: "kubernetes-validate",
            hint: "`make test` installs it into .venv (scripts/test-requirements.txt)")
    }

    /// Runs `arguments` (the first is the program) in `directory`, collecting its output.
    static func run(
        _ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:]
    ) throws -> CommandRunner.Result {
        try CommandRunner.execute(arguments, in: directory, environment: environment)
    }

    /// Every document of a YAML stream, as JSON values (`[String: Any]`, `[Any]`, ...),
    /// read by PyYAML's safe loader.
    static func yamlDocuments(_ text: String) throws -> [Any] {
        let workspace = try Workspace()
        let input = try workspace.write("input.yaml", text)
        let result = try run([
            python, "-c",
            "import json, sys, yaml\nprint(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None], default=str))",
            input,
        ])
        guard result.status == 0 else { throw YAMLReadError(message: result.stderr) }
        return try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [Any] ?? []
    }

    /// The one document of a YAML file of the repository, as a dictionary.
    static func yamlFile(_ relative: String) throws -> [String: Any] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent(relative), encoding: .utf8)
        let documents = try yamlDocuments(text)
        guard documents.count == 1, let document = documents[0] as? [String: Any] else {
            throw YAMLReadError(message: "\(relative) is not one YAML mapping")
        }
        return document
    }

    struct ToolMissing: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    struct YAMLReadError: Error, CustomStringConvertible {
        var message: String
        var description: String { "PyYAML could not read the document: \(message)" }
    }
}

/// Dictionary lookups along a path of keys and indices, for JSON read from YAML.
extension Dictionary where Key == String, Value == Any {
    /// The value at `path` (`"spec.template.spec"`), or nil.
    func value(at path: String) -> Any? {
        var current: Any? = self
        for key in path.split(separator: ".") {
            if let index = Int(key), let array = current as? [Any] {
                current = index < array.count ? array[index] : nil
            } else {
                current = (current as? [String: Any])?[String(key)]
            }
        }
        return current
    }

    func dictionary(at path: String) -> [String: Any]? { value(at: path) as? [String: Any] }
    func array(at path: String) -> [[String: Any]] { (value(at: path) as? [Any])?.compactMap { $0 as? [String: Any] } ?? [] }
    func string(at path: String) -> String? { value(at: path) as? String }
}
