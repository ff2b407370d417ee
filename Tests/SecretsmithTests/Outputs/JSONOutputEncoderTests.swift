import Foundation
import Secretsmith
import Testing

@Suite("JSON output")
struct JSONOutputEncoderTests {
    /// Parses the file with python's `json`, keeping member order, and prints `KEY hex`.
    private static let loader = """
        import json, sys
        with open(sys.argv[1], encoding="utf-8") as f:
            pairs = json.load(f, object_pairs_hook=list)
        for key, value in pairs:
            print(key, value.encode("utf-8").hex())
        """

    @Test("python's json reads every value back in declared order, byte for byte")
    func pythonRoundTrip() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let file = directory + "/secrets.json"
        // Declared order deliberately not sorted.
        let entries = OutputTestSupport.trickyValues.reversed().map { (key: $0.name, value: $0.value) }
            + [(key: "zeta", value: Array("\u{2028}\u{2029}</script>".utf8)), (key: "alpha", value: Array("1".utf8))]
        let bytes = try OutputEncoder.encode(.json, entries: entries)
        #expect(bytes.last == UInt8(ascii: "\n"))
        try OutputTestSupport.writeFile(file, bytes)
        let result = try OutputTestSupport.run(OutputTestSupport.python, ["-c", Self.loader, file])
        try #require(result.status == 0, "python json failed: \(result.stderr)")
        let actual = OutputTestSupport.parseHexLines(result.stdout)
        #expect(actual.map(\.key) == entries.map(\.key))
        for (want, got) in zip(entries, actual) {
            #expect(OutputTestSupport.hex(got.value) == OutputTestSupport.hex(want.value), "value of \(want.key) differs")
        }
    }

    @Test("the object is pretty-printed with two spaces and a trailing newline")
    func encodedForm() throws {
        let bytes = try OutputEncoder.encode(.json, entries: [
            (key: "b", value: Array("x\"\\\n\t\u{1}é".utf8)), (key: "a key", value: []),
        ])
        #expect(String(decoding: bytes, as: UTF8.self) == "{\n  \"b\": \"x\\\"\\\\\\n\\t\\u0001é\",\n  \"a key\": \"\"\n}\n")
        #expect(try OutputEncoder.encode(.json, entries: []) == Array("{}\n".utf8))
    }

    @Test("a NUL in valid UTF-8 is written as \\u0000 and python's json reads it back")
    func nulIsEscaped() throws {
        let value = Array("a\u{0}b\u{0}".utf8)
        let bytes = try OutputEncoder.encode(.json, entries: [(key: "k", value: value)])
        #expect(String(decoding: bytes, as: UTF8.self) == "{\n  \"k\": \"a\\u0000b\\u0000\"\n}\n")
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try OutputTestSupport.writeFile(directory + "/s.json", bytes)
        let result = try OutputTestSupport.run(OutputTestSupport.python, ["-c", Self.loader, directory + "/s.json"])
        try #require(result.status == 0, "python json failed: \(result.stderr)")
        #expect(OutputTestSupport.parseHexLines(result.stdout).first?.value == value)
    }

    @Test("values given as JSON text keep their JSON type; python's json reads the same types back")
    func typedValues() throws {
        let entries: [(key: String, value: [UInt8])] = [
            (key: "port", value: Array("5432".utf8)), (key: "ratio", value: Array("-1.5e3".utf8)),
            (key: "on", value: Array("true".utf8)), (key: "none", value: Array("null".utf8)),
            (key: "object", value: Array(#"{"a":[1,"x\u0000"],"b":{}}"#.utf8)), (key: "list", value: Array("[]".utf8)),
            (key: "text", value: Array("5432".utf8)),
        ]
        let bytes = try OutputEncoder.encode(
            .json, entries: entries, jsonKeys: ["port", "ratio", "on", "none", "object", "list"])
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try OutputTestSupport.writeFile(directory + "/s.json", bytes)
        let script = """
            import json, sys
            with open(sys.argv[1], encoding="utf-8") as f:
                pairs = json.load(f, object_pairs_hook=list)
            for key, value in pairs:
                print(key, type(value).__name__, json.dumps(value, separators=(",", ":")))
            """
        let result = try OutputTestSupport.run(OutputTestSupport.python, ["-c", script, directory + "/s.json"])
        try #require(result.status == 0, "python json failed: \(result.stderr)")
        #expect(String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init) == [
            "port int 5432", "ratio float -1500.0", "on bool true", "none NoneType null",
            #"object list [["a",[1,"x\u0000"]],["b",[]]]"#, "list list []", #"text str "5432""#,
        ])
    }

    @Test("invalid UTF-8 is refused naming the key; empty and duplicate keys too")
    func refusals() {
        let secret = Array(OutputTestSupport.sentinel.utf8)
        for (value, reason) in [(secret + [0xED, 0xA0, 0x80], OutputEncodingError.Reason.invalidUTF8)] {
            #expect {
                _ = try OutputEncoder.encode(.json, entries: [(key: "cert", value: value)])
            } throws: { error in
                guard let error = error as? OutputEncodingError else { return false }
                return error.reason == reason && error.key == "cert" && error.description.contains("cert")
                    && !error.description.contains(OutputTestSupport.sentinel)
            }
        }
        #expect(throws: OutputEncodingError(format: .json, key: "", reason: .invalidKey)) {
            _ = try OutputEncoder.encode(.json, entries: [(key: "", value: [])])
        }
        #expect(throws: OutputEncodingError(format: .json, key: "k", reason: .duplicateKey)) {
            _ = try OutputEncoder.encode(.json, entries: [(key: "k", value: []), (key: "k", value: [])])
        }
    }

    @Test("a template output is not encoded (internal error)")
    func templateFormat() {
        #expect {
            _ = try OutputEncoder.encode(.template, entries: [])
        } throws: { error in
            (error as? OutputEncodingError)?.kind == .internalError
        }
    }
}
