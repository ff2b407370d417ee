import Foundation
import Secretsmith
import Testing

@Suite("Dotenv output")
struct DotenvEncoderTests {
    /// Loads a dotenv file with python-dotenv's `dotenv_values` (default interpolation on),
    /// with `X` and `HOME` set in the environment to catch any interpolation.
    private static let loader = """
        import sys
        from dotenv import dotenv_values
        for key, value in dotenv_values(sys.argv[1]).items():
            print(key, (value if value is not None else "<None>").encode("utf-8").hex())
        """

    private func entries() -> [(key: String, value: [UInt8])] {
        OutputTestSupport.trickyValues.map { (key: $0.name, value: $0.value) }
    }

    @Test("python-dotenv reads every tricky value back byte for byte")
    func pythonDotenvRoundTrip() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let file = directory + "/app.env"
        let expected = entries()
        try OutputTestSupport.writeFile(file, try OutputEncoder.encode(.dotenv, entries: expected))

        var environment = ProcessInfo.processInfo.environment
        environment["X"] = "INJECTED"
        environment["HOME"] = "/injected/home"
        let result = try OutputTestSupport.run(
            OutputTestSupport.python, ["-c", Self.loader, file], environment: environment, directory: directory
        )
        try #require(result.status == 0, "python-dotenv failed: \(result.stderr)")
        #expect(!result.stderr.contains("could not parse"), "python-dotenv warned: \(result.stderr)")
        let actual = OutputTestSupport.parseHexLines(result.stdout)
        #expect(actual.map(\.key) == expected.map(\.key))
        for (want, got) in zip(expected, actual) {
            #expect(
                OutputTestSupport.hex(got.value) == OutputTestSupport.hex(want.value),
                "value of \(want.key) differs"
            )
        }
        for name in OutputTestSupport.pwnedFiles {
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + name))
        }
    }

    @Test("docker compose's parser (modelled) reads every value exactly or refuses the file")
    func composeModelRoundTrip() throws {
        var environment = ["X": "INJECTED", "HOME": "/injected/home"]
        environment[""] = nil
        for entry in entries() {
            let bytes = try OutputEncoder.encode(.dotenv, entries: [entry])
            let quoting = DotenvEncoder.quoting(for: entry.value)
            do {
                let parsed = try ComposeDotenvModel.parse(bytes, lookup: { environment[$0] })
                #expect(quoting != .pythonDotenvOnly, "\(entry.key): expected compose to refuse the python-only form")
                #expect(parsed.map(\.key) == [entry.key])
                #expect(
                    OutputTestSupport.hex(parsed.first?.value ?? []) == OutputTestSupport.hex(entry.value),
                    "compose reads \(entry.key) differently (\(quoting))"
                )
            } catch {
                #expect(quoting == .pythonDotenvOnly, "\(entry.key): compose refused a \(quoting) value: \(error)")
            }
        }
    }

    @Test("values only python-dotenv can carry are exactly the documented ones")
    func quotingChoices() {
        func quoting(_ text: String) -> DotenvEncoder.Quoting { DotenvEncoder.quoting(for: Array(text.utf8)) }
        #expect(quoting("plain value") == .single)
        #expect(quoting("$HOME `x` #c") == .single)
        #expect(quoting("it's") == .double)  // `'` never goes in single quotes
        #expect(quoting("it's $HOME") == .pythonDotenvOnly)
        #expect(quoting("multi\nline") == .single)
        #expect(quoting("a\r\nb") == .double)
        #expect(quoting("a\\\\b") == .double)
        #expect(quoting("C:\\dir\\") == .unquoted)
        #expect(quoting("${X}") == .pythonDotenvOnly)
        #expect(quoting("$a\r") == .pythonDotenvOnly)
        #expect(quoting("${a:b}") == .single)
        #expect(quoting("${") == .single)
    }

    @Test("the encoded forms are readable")
    func encodedForms() throws {
        let bytes = try OutputEncoder.encode(.dotenv, entries: [
            (key: "A", value: Array("plain".utf8)),
            (key: "B", value: Array("it's".utf8)),
            (key: "C", value: Array("a\r\nb".utf8)),
            (key: "D", value: Array("C:\\x\\".utf8)),
            (key: "E", value: Array("${X}".utf8)),
            (key: "F", value: []),
        ])
        #expect(String(decoding: bytes, as: UTF8.self) == """
            A='plain'
            B="it's"
            C="a\\r\\nb"
            D=C:\\x\\
            E="${:-$}{X}"
            F=''

            """)
    }

    @Test("NUL and invalid UTF-8 are refused, naming the key and never the value")
    func refusals() {
        let secret = Array(OutputTestSupport.sentinel.utf8)
        for (value, reason) in [(secret + [0] + secret, OutputEncodingError.Reason.nulByte), (secret + [0xC3], .invalidUTF8)] {
            #expect {
                _ = try OutputEncoder.encode(.dotenv, entries: [(key: "OK", value: []), (key: "BAD_KEY", value: value)], outputName: "app")
            } throws: { error in
                guard let error = error as? OutputEncodingError else { return false }
                return error.key == "BAD_KEY" && error.reason == reason && error.kind == .configuration
                    && error.description.contains("BAD_KEY") && error.description.contains("\"app\"")
                    && !error.description.contains(OutputTestSupport.sentinel)
            }
        }
    }

    @Test("an empty output is an empty file")
    func emptyOutput() throws {
        #expect(try OutputEncoder.encode(.dotenv, entries: []) == [])
    }
}
