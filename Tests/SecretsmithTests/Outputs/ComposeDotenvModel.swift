/// A model of docker compose's `.env` reader, ported from compose-go v2
/// (`dotenv/parser.go`, `dotenv/godotenv.go`, `template/template.go`), for the round-trip
/// tests: no Go toolchain or docker compose is available to the tests, so this stands in
/// for the real reader. It follows the upstream control flow closely; interpolation covers
/// `$$`, `$NAME`, `${NAME}` and `${NAME<op>default}` (`:-`, `-`, `:?`, `?`), and treats any
/// other `$` as the "Invalid template" error compose reports.
enum ComposeDotenvModel {
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses a whole file.
    ///
    /// - Parameters:
    ///   - bytes: The file content.
    ///   - lookup: The process environment compose consults before the file's own values.
    /// - Returns: Keys and values in file order (a repeated key keeps its first position).
    static func parse(_ bytes: [UInt8], lookup: (String) -> String?) throws -> [(key: String, value: [UInt8])] {
        var src = ArraySlice(bytes)
        if src.starts(with: [0xEF, 0xBB, 0xBF]) { src = src.dropFirst(3) }
        var order: [String] = []
        var values: [String: [UInt8]] = [:]
        while true {
            src = statementStart(src)
            if src.isEmpty { break }
            let (key, rest, inherited) = try locateKeyName(src)
            if key.contains(" ") { throw ParseError(description: "key cannot contain a space") }
            if inherited {
                if let value = lookup(key) { store(key, Array(value.utf8)) }
                src = rest
                continue
            }
            let mapping: (String) -> [UInt8]? = { name in lookup(name).map { Array($0.utf8) } ?? values[name] }
            let (value, remainder) = try extractValue(rest, mapping: mapping)
            store(key, value)
            src = remainder
        }
        return order.map { (key: $0, value: values[$0]!) }

        func store(_ key: String, _ value: [UInt8]) {
            if values[key] == nil { order.append(key) }
            values[key] = value
        }
    }

    // MARK: - parser.go

    private static func statementStart(_ src: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var src = src
        while true {
            guard let start = firstIndex(in: src, where: { !isUnicodeSpace($0) }) else { return [] }
            src = src[start...]
            guard src.first == UInt8(ascii: "#") else { return src }
            guard let newline = src.firstIndex(of: UInt8(ascii: "\n")) else { return [] }
            src = src[newline...]
        }
    }

    private static func locateKeyName(_ source: ArraySlice<UInt8>) throws -> (String, ArraySlice<UInt8>, Bool) {
        var src = source
        if src.starts(with: Array("export".utf8)), src.count > 6, isUnicodeSpace(Unicode.Scalar(src[src.startIndex + 6])) {
            src = trimLeft(src.dropFirst(6), isSpace)
        }
        var key: ArraySlice<UInt8>?
        var offset = src.endIndex
        var inherited = false
        for (index, scalar) in scalars(src) {
            if isSpace(scalar) { continue }
            switch scalar {
            case "=", ":", "\n":
                key = src[src.startIndex..<index]
                offset = index + 1
                inherited = scalar == "\n"
            case "_", ".", "-", "[", "]":
                continue
            default:
                if scalar.properties.isAlphabetic || scalar.properties.numericType != nil { continue }
                throw ParseError(description: "unexpected character in variable name")
            }
            break
        }
        if src.isEmpty { throw ParseError(description: "zero length string") }
        let name = trimRight(key ?? [], isUnicodeSpace)
        return (String(decoding: name, as: UTF8.self), trimLeft(src[min(offset, src.endIndex)...], isSpace), inherited)
    }

    private static func extractValue(
        _ src: ArraySlice<UInt8>, mapping: (String) -> [UInt8]?
    ) throws -> ([UInt8], ArraySlice<UInt8>) {
        guard let quote = src.first, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            let end = src.firstIndex(of: UInt8(ascii: "\n")) ?? src.endIndex
            var value = Array(src[..<end])
            let rest = end < src.endIndex ? src[(end + 1)...] : []
            if let comment = firstRange(of: Array(" #".utf8), in: value) { value = Array(value[..<comment]) }
            value = Array(trimRight(value[...], isUnicodeSpace))
            return (try substitute(value, mapping: mapping), rest)
        }
        var previousIsEscape = false
        var chars: [UInt8] = []
        var index = src.startIndex + 1
        while index < src.endIndex {
            defer { index += 1 }
            let char = src[index]
            if char != quote {
                if !previousIsEscape, char == UInt8(ascii: "\\") {
                    previousIsEscape = true
                    continue
                }
                if previousIsEscape {
                    previousIsEscape = false
                    chars.append(UInt8(ascii: "\\"))
                }
                chars.append(char)
                continue
            }
            if previousIsEscape {
                previousIsEscape = false
                chars.append(char)
                continue
            }
            var value = chars
            if quote == UInt8(ascii: "\"") {
                value = try substitute(expandEscapes(value), mapping: mapping)
            }
            return (value, src[(index + 1)...])
        }
        throw ParseError(description: "unterminated quoted value")
    }

    /// `escapeSeqRegex` = `\\(?:[abcfnrtv$"\\]|0\d{0,3})`, replaced left to right.
    private static func expandEscapes(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < value.count {
            guard value[index] == UInt8(ascii: "\\"), index + 1 < value.count else {
                out.append(value[index]); index += 1; continue
            }
            let next = value[index + 1]
            let simple: [UInt8: UInt8] = [
                UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8, UInt8(ascii: "f"): 12, UInt8(ascii: "n"): 10,
                UInt8(ascii: "r"): 13, UInt8(ascii: "t"): 9, UInt8(ascii: "v"): 11,
                UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "\\"): UInt8(ascii: "\\"),
            ]
            if let byte = simple[next] {
                out.append(byte); index += 2
            } else if next == UInt8(ascii: "c") {
                out += [UInt8(ascii: "\\"), next]; index += 2   // matched, but UnquoteChar fails: kept
            } else if next == UInt8(ascii: "$") {
                out += Array("$$".utf8); index += 2
            } else if next == UInt8(ascii: "0") {
                var digits: [UInt8] = []
                var end = index + 2
                while end < value.count, digits.count < 3, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(value[end]) {
                    digits.append(value[end]); end += 1
                }
                // `\0ddd` is rewritten to `\ddd` and unquoted; on failure the rewritten text stays.
                if digits.count == 3, digits.allSatisfy({ $0 < UInt8(ascii: "8") }),
                   let code = Int(String(decoding: digits, as: UTF8.self), radix: 8), code < 256 {
                    out += Array(String(Unicode.Scalar(UInt8(code))).utf8)
                } else {
                    out += [UInt8(ascii: "\\")] + digits
                }
                index = end
            } else {
                out.append(value[index]); index += 1
            }
        }
        return out
    }

    // MARK: - template.go

    private static func substitute(_ value: [UInt8], mapping: (String) -> [UInt8]?) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        func isNameStart(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "_") || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isName(_ byte: UInt8) -> Bool { isNameStart(byte) || (0x30...0x39).contains(byte) }
        while index < value.count {
            guard value[index] == UInt8(ascii: "$") else { out.append(value[index]); index += 1; continue }
            let next = index + 1
            if next < value.count, value[next] == UInt8(ascii: "$") {
                out.append(UInt8(ascii: "$")); index += 2; continue
            }
            if next < value.count, isNameStart(value[next]) {
                var end = next
                while end < value.count, isName(value[end]) { end += 1 }
                out += mapping(String(decoding: value[next..<end], as: UTF8.self)) ?? []
                index = end
                continue
            }
            guard next < value.count, value[next] == UInt8(ascii: "{"), next + 1 < value.count, isNameStart(value[next + 1]) else {
                throw ParseError(description: "Invalid template")
            }
            var end = next + 1
            while end < value.count, isName(value[end]) { end += 1 }
            let name = String(decoding: value[(next + 1)..<end], as: UTF8.self)
            guard let close = closingBrace(value, from: index) else { throw ParseError(description: "Invalid template") }
            let modifier = Array(value[end..<close])
            let current = mapping(name)
            if modifier.isEmpty {
                out += current ?? []
            } else if modifier.starts(with: Array(":-".utf8)) {
                if let current, !current.isEmpty { out += current } else { out += try substitute(Array(modifier.dropFirst(2)), mapping: mapping) }
            } else if modifier.first == UInt8(ascii: "-") {
                if let current { out += current } else { out += try substitute(Array(modifier.dropFirst()), mapping: mapping) }
            } else if modifier.starts(with: Array(":?".utf8)) || modifier.first == UInt8(ascii: "?") {
                guard let current, !(modifier.first == UInt8(ascii: ":") && current.isEmpty) else {
                    throw ParseError(description: "required variable is missing a value")
                }
                out += current
            } else {
                throw ParseError(description: "Invalid template")
            }
            index = close + 1
        }
        return out
    }

    /// `getFirstBraceClosingIndex`: the `}` that closes the `${` at `start`, counting nested `${`.
    private static func closingBrace(_ value: [UInt8], from start: Int) -> Int? {
        var open = 0
        var index = start
        while index < value.count {
            if value[index] == UInt8(ascii: "}") {
                open -= 1
                if open == 0 { return index }
            }
            if value[index] == UInt8(ascii: "$"), index + 1 < value.count, value[index + 1] == UInt8(ascii: "{") {
                open += 1
                index += 1
            }
            index += 1
        }
        return nil
    }

    // MARK: - helpers

    /// Go's `unicode.IsSpace`.
    private static func isUnicodeSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

    /// compose-go's `isSpace`: whitespace other than a line feed.
    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        ["\t", "\u{0B}", "\u{0C}", "\r", " ", "\u{85}", "\u{A0}"].contains(scalar)
    }

    private static func scalars(_ bytes: ArraySlice<UInt8>) -> [(Int, Unicode.Scalar)] {
        var result: [(Int, Unicode.Scalar)] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var iterator = bytes[index...].makeIterator()
            var decoder = UTF8()
            guard case .scalarValue(let scalar) = decoder.decode(&iterator) else {
                result.append((index, "\u{FFFD}")); index += 1; continue
            }
            result.append((index, scalar))
            index += String(scalar).utf8.count
        }
        return result
    }

    private static func firstIndex(in bytes: ArraySlice<UInt8>, where predicate: (Unicode.Scalar) -> Bool) -> Int? {
        scalars(bytes).first { predicate($0.1) }?.0
    }

    private static func trimLeft(_ bytes: ArraySlice<UInt8>, _ predicate: (Unicode.Scalar) -> Bool) -> ArraySlice<UInt8> {
        guard let start = firstIndex(in: bytes, where: { !predicate($0) }) else { return [] }
        return bytes[start...]
    }

    private static func trimRight(_ bytes: ArraySlice<UInt8>, _ predicate: (Unicode.Scalar) -> Bool) -> ArraySlice<UInt8> {
        guard let last = scalars(bytes).last(where: { !predicate($0.1) }) else { return [] }
        return bytes[..<(last.0 + String(last.1).utf8.count)]
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
