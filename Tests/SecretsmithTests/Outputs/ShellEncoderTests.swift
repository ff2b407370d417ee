import Foundation
import Secretsmith
import Testing

@Suite("Shell output")
struct ShellEncoderTests {
    /// Values for the shells: the tricky values plus bytes that are not UTF-8.
    private static let entries: [(key: String, value: [UInt8])] =
        OutputTestSupport.trickyValues.map { (key: $0.name, value: $0.value) }
        + [(key: "NOT_UTF8", value: [0xFF, 0xFE, 0xC3, 0x28, UInt8(ascii: "'")])]

    /// Sources the file with `shell`, then prints `KEY hex` for every key, and checks that
    /// a child process sees one of the variables (it was exported).
    private func roundTrip(_ shell: String, arguments: [String] = []) throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let file = directory + "/secrets.sh"
        try OutputTestSupport.writeFile(file, try OutputEncoder.encode(.shell, entries: Self.entries))
        var script = ". ./secrets.sh || exit 3\n"
        for entry in Self.entries {
            script += "printf '%s ' \(entry.key); printf '%s' \"$\(entry.key)\" | od -An -v -tx1 | tr -d ' \\n'; echo\n"
        }
        script += "printf 'EXPORTED '; sh -c 'printf %s \"$SINGLE_QUOTE\"' | od -An -v -tx1 | tr -d ' \\n'; echo\n"
        var environment = ProcessInfo.processInfo.environment
        environment["X"] = "INJECTED"
        environment["LANG"] = "C.UTF-8"
        let result = try OutputTestSupport.run(shell, arguments + ["-c", script], environment: environment, directory: directory)
        try #require(result.status == 0, "\(shell) failed to source the file: \(result.stderr)")
        #expect(result.stderr.isEmpty, "\(shell) printed: \(result.stderr)")
        let actual = OutputTestSupport.parseHexLines(result.stdout)
        let expected = Self.entries + [(key: "EXPORTED", value: Array("'".utf8))]
        #expect(actual.map(\.key) == expected.map(\.key))
        for (want, got) in zip(expected, actual) {
            #expect(OutputTestSupport.hex(got.value) == OutputTestSupport.hex(want.value), "\(shell): value of \(want.key) differs")
        }
        for name in OutputTestSupport.pwnedFiles {
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + name), "\(shell) executed a value")
        }
    }

    @Test("POSIX sh sources every value back byte for byte")
    func posixShell() throws {
        try roundTrip("sh")
    }

    @Test(
        "dash sources every value back byte for byte",
        .enabled(if: OutputTestSupport.which("dash") != nil, "dash is not installed (make test installs it)")
    )
    func dash() throws {
        try roundTrip("dash")
    }

    @Test("bash sources every value back byte for byte, also in POSIX mode")
    func bash() throws {
        try roundTrip("bash")
        try roundTrip("bash", arguments: ["--posix"])
    }

    @Test("the file is export lines with single-quoted values")
    func encodedForm() throws {
        let bytes = try OutputEncoder.encode(.shell, entries: [
            (key: "A", value: Array("it's $(x)".utf8)),
            (key: "B", value: []),
        ])
        #expect(String(decoding: bytes, as: UTF8.self) == "export A='it'\\''s $(x)'\nexport B=''\n")
    }

    @Test("NUL is refused naming the key; keys must be variable names")
    func refusals() {
        #expect {
            _ = try OutputEncoder.encode(.shell, entries: [(key: "TOKEN", value: Array(OutputTestSupport.sentinel.utf8) + [0])])
        } throws: { error in
            guard let error = error as? OutputEncodingError else { return false }
            return error.reason == .nulByte && error.key == "TOKEN" && error.description.contains("TOKEN")
                && !error.description.contains(OutputTestSupport.sentinel)
        }
        for key in ["1ABC", "A-B", "", "A B", "É"] {
            #expect(throws: OutputEncodingError(format: .shell, key: key, reason: .invalidKey)) {
                _ = try OutputEncoder.encode(.shell, entries: [(key: key, value: [])])
            }
        }
        #expect(throws: OutputEncodingError(format: .shell, key: "A", reason: .duplicateKey)) {
            _ = try OutputEncoder.encode(.shell, entries: [(key: "A", value: []), (key: "A", value: [])])
        }
    }
}
