import Secretsmith
import Testing

@Suite("Docker env-file output")
struct DockerEnvFileEncoderTests {
    /// docker/cli `pkg/kvfile` `parseKeyValueFile`, modelled: lines split on `\n` (one `\r`
    /// before it dropped), leading whitespace trimmed, split at the first `=`, and (docker
    /// 28.x) one pair of matching quotes removed.
    private func dockerRead(_ bytes: [UInt8], trimQuotes: Bool) -> [(key: String, value: [UInt8])] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).compactMap { rawLine in
            var line = Array(rawLine)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            let text = String(decoding: line, as: UTF8.self)
            let trimmed = Array(text.drop(while: \.isWhitespace).utf8)
            guard let first = trimmed.first, first != UInt8(ascii: "#"), let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else {
                return nil
            }
            var value = Array(trimmed[(equals + 1)...])
            if trimQuotes, value.count >= 2, let q = value.first, q == value.last, q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") {
                value = Array(value.dropFirst().dropLast())
            }
            return (String(decoding: trimmed[..<equals], as: UTF8.self), value)
        }
    }

    @Test("every value docker can carry is written as is and read back by old and new docker")
    func roundTrip() throws {
        let representable = OutputTestSupport.trickyValues.filter { entry in
            (try? OutputEncoder.encode(.dockerEnvFile, entries: [(key: entry.name, value: entry.value)])) != nil
        }
        let entries = representable.map { (key: $0.name, value: $0.value) }
        #expect(entries.contains { $0.key == "SPACES" } && entries.contains { $0.key == "SPACE_HASH" })
        let bytes = try OutputEncoder.encode(.dockerEnvFile, entries: entries)
        for trimQuotes in [false, true] {
            let read = dockerRead(bytes, trimQuotes: trimQuotes)
            #expect(read.map(\.key) == entries.map(\.key))
            for (want, got) in zip(entries, read) {
                #expect(got.value == want.value, "value of \(want.key) differs (trimQuotes: \(trimQuotes))")
            }
        }
    }

    @Test("values with newline, CR, NUL, invalid UTF-8, enclosing quotes or a too long line are refused by key")
    func refusals() {
        let secret = Array(OutputTestSupport.sentinel.utf8)
        let cases: [([UInt8], OutputEncodingError.Reason)] = [
            (secret + Array("\nmore".utf8), .lineFeed),
            (Array("value\n".utf8), .lineFeed),
            (secret + Array("\r".utf8), .carriageReturn),
            (secret + [0], .nulByte),
            (secret + [0xFF], .invalidUTF8),
            (Array("'\(OutputTestSupport.sentinel)'".utf8), .enclosingQuotes),
            (Array("\"\(OutputTestSupport.sentinel)\"".utf8), .enclosingQuotes),
            ([UInt8](repeating: UInt8(ascii: "a"), count: 65_536 - 5), .lineTooLong(limit: 65_536)),
        ]
        for (value, reason) in cases {
            #expect {
                _ = try OutputEncoder.encode(.dockerEnvFile, entries: [(key: "API_KEY", value: value)], outputName: "docker")
            } throws: { error in
                guard let error = error as? OutputEncodingError else { return false }
                return error.reason == reason && error.key == "API_KEY" && error.description.contains("API_KEY")
                    && error.description.contains("\"docker\"") && !error.description.contains(OutputTestSupport.sentinel)
            }
        }
        // The longest line that fits: "API_KEY=" + value + "\n" = 65,536 bytes.
        let longest = [UInt8](repeating: UInt8(ascii: "a"), count: 65_536 - 9)
        #expect(throws: Never.self) { _ = try OutputEncoder.encode(.dockerEnvFile, entries: [(key: "API_KEY", value: longest)]) }
        #expect(throws: Never.self) { _ = try OutputEncoder.encode(.dockerEnvFile, entries: [(key: "Q", value: Array("'".utf8))]) }
        #expect(throws: Never.self) { _ = try OutputEncoder.encode(.dockerEnvFile, entries: [(key: "Q", value: Array("'a\"".utf8))]) }
    }

    @Test("every refused value is reported, not only the first")
    func everyRefusedValueIsReported() throws {
        let entries: [(key: String, value: [UInt8])] = [
            ("NL", Array("a\nb".utf8)), ("OK", Array("fine".utf8)), ("NUL", [0x61, 0, 0x62]), ("BAD", [0x61, 0xFF]),
        ]
        let (bytes, errors) = OutputEncoder.encodeCollectingErrors(.dockerEnvFile, entries: entries, outputName: "docker")
        #expect(bytes == nil)
        #expect(errors.map(\.key) == ["NL", "NUL", "BAD"])
        #expect(errors.map(\.code) == [.lineFeed, .nulByte, .invalidUtf8])
        #expect(errors.allSatisfy { $0.outputName == "docker" })
        let clean = OutputEncoder.encodeCollectingErrors(.dockerEnvFile, entries: [entries[1]])
        #expect(clean.bytes == Array("OK=fine\n".utf8))
        #expect(clean.errors.isEmpty)
        let repeated = OutputEncoder.encodeCollectingErrors(.dotenv, entries: [entries[1], entries[1], ("1X", [])])
        #expect(repeated.errors.map(\.code) == [.duplicateKey, .invalidKey])
    }

    @Test("the file is KEY=value lines")
    func encodedForm() throws {
        let bytes = try OutputEncoder.encode(.dockerEnvFile, entries: [
            (key: "A", value: Array(" x #y $Z ".utf8)), (key: "B", value: []),
        ])
        #expect(String(decoding: bytes, as: UTF8.self) == "A= x #y $Z \nB=\n")
    }
}
