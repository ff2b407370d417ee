import Testing
@testable import YAML

private func parseError(_ bytes: [UInt8], limits: YAMLLimits = .default) -> YAMLError? {
    do {
        _ = try YAMLParser.parse(bytes, file: "hostile.yaml", limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite("YAML limits and hostile input")
struct YAMLLimitsTests {
    @Test("the defaults are 1 MiB, depth 64 and 100,000 expanded nodes")
    func defaults() {
        #expect(YAMLLimits.default.maxBytes == 1_048_576)
        #expect(YAMLLimits.default.maxDepth == 64)
        #expect(YAMLLimits.default.maxAliasExpandedNodes == 100_000)
    }

    @Test("a billion-laughs alias bomb is refused")
    func aliasBomb() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            let list = Array(repeating: previous, count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(list)]\n"
        }
        #expect(text.utf8.count < 1000)
        let error = try #require(parseError(Array(text.utf8)))
        #expect(error.message.contains("more than 100000 nodes"))
        #expect(error.description.hasPrefix("hostile.yaml:"))
    }

    @Test("aliases count as the size of what they expand to")
    func aliasCounting() throws {
        let text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
        // nodes: root, a-key, seq+3, b-key, seq, 2 x 4 = 1+1+4+1+1+8 = 16
        let limits = YAMLLimits(maxAliasExpandedNodes: 15)
        #expect(parseError(Array(text.utf8), limits: limits) != nil)
        #expect(parseError(Array(text.utf8), limits: YAMLLimits(maxAliasExpandedNodes: 16)) == nil)
    }

    @Test("nesting deeper than the limit is refused")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = try #require(parseError(Array(deep.utf8)))
        #expect(error.message.contains("deeper than the limit of 64"))
        #expect(error.mark == Mark(line: 1, column: 65))
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(Array(ok.utf8)) == nil)
        let block = "a:\n  b:\n    c: 1\n"
        #expect(parseError(Array(block.utf8), limits: YAMLLimits(maxDepth: 2)) != nil)
        #expect(parseError(Array(block.utf8), limits: YAMLLimits(maxDepth: 3)) == nil)
    }

    @Test("an input over the size limit is refused before parsing")
    func sizeLimit() throws {
        let bytes = Array("a: 1234567890\n".utf8)
        let error = try #require(parseError(bytes, limits: YAMLLimits(maxBytes: 10)))
        #expect(error.message.contains("14 bytes, more than the limit of 10 bytes"))
        #expect(error.mark == nil)
        let big = [UInt8](repeating: UInt8(ascii: "#"), count: (1 << 20) + 1)
        #expect(parseError(big)?.message.contains("more than the limit") == true)
    }

    @Test("a leading UTF-8 byte order mark is accepted and does not shift columns")
    func byteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("key: value\n".utf8)
        let root = try #require(try YAMLParser.parse(bytes, file: "bom.yaml"))
        #expect(root["key"]?.scalarValue == "value")
        #expect(root["key"]?.mark == Mark(line: 1, column: 6))
    }

    @Test("invalid UTF-8 is refused with the line and column of the first bad byte")
    func invalidUTF8() throws {
        let bytes = Array("a: ok\nb: é".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let error = try #require(parseError(bytes))
        #expect(error.message.contains("not valid UTF-8"))
        #expect(error.message.contains("0xC3"))
        #expect(error.mark == Mark(line: 2, column: 5))
        // overlong encoding and surrogates are refused too
        #expect(parseError([0x61, 0x3A, 0x20, 0xC0, 0xAF])?.mark == Mark(line: 1, column: 4))
        #expect(parseError(Array("x: ".utf8) + [0xED, 0xA0, 0x80]) != nil)
        // a truncated sequence at the end
        #expect(parseError(Array("x: ".utf8) + [0xE2, 0x82]) != nil)
        // NEL, LS and PS end lines for libyaml, so they do here too (a fuzzer's input put the
        // mark on a line NEL had already ended).
        #expect(parseError([0xC2, 0x85, 0xC2, 0x60])?.mark == Mark(line: 2, column: 1))
        #expect(parseError(Array("a\u{2028}bc\u{2029}".utf8) + [0xFF])?.mark == Mark(line: 3, column: 1))
    }

    @Test("control characters are refused with libyaml's reader message")
    func controlCharacters() throws {
        let error = try #require(parseError(Array("a: b\u{07}c\n".utf8)))
        #expect(error.message.contains("control characters are not allowed"))
        #expect(error.mark == Mark(line: 1, column: 5))
    }
}
