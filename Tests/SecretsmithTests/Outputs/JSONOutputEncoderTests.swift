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

    @Test("invalid UTF-8 and NUL are refused naming the key; empty and duplicate keys too")
    func refusals() {
        let secret = Array(OutputTestSupport.sentinel.utf8)
        for (value, reason) in [(secret + [0xED, 0xA0, 0x80], OutputEncodingError.Reason.invalidUTF8), (secret + [0], .nulByte)] {
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
