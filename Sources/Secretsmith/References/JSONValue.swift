import YAML
/// A parsed JSON text (RFC 8259), just enough to follow a JSON pointer: objects keep
/// member order and duplicates, every value keeps its byte range in the source.
struct JSONValue {
    enum Kind {
        case object(keys: [String], values: [JSONValue])
        case array([JSONValue])
        case string(String)
        case number
        case boolean
        case null
    }

    /// Why a text is not JSON, and where (a byte offset into the payload).
    struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    var kind: Kind
    /// The value's bytes in the source text.
    var range: Range<Int>

    /// "an object", "an array", "a string", "a number", "a boolean" or "null".
    var kindName: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .boolean: "a boolean"
        case .null: "null"
        }
    }

    /// The deepest nesting parsed; deeper input is refused rather than risk the stack.
    static let maxDepth = 128

    /// Parses a whole JSON text; a leading UTF-8 byte order mark is skipped.
    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        if let invalid = UTF8Validation.firstInvalidByte(in: bytes) {
            throw SyntaxError(offset: invalid, reason: "it is not UTF-8")
        }
        var parser = Parser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw SyntaxError(offset: parser.index, reason: "unexpected text after the value")
        }
        return value
    }

    /// JSON text without insignificant whitespace (whitespace inside strings is kept).
    static func compact(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var inString = false
        var escaped = false
        for byte in text {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                output.append(byte)
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                output.append(byte)
            } else if byte != 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D {
                output.append(byte)
            }
        }
        return output
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func failure(_ reason: String) -> SyntaxError {
            SyntaxError(offset: index, reason: reason)
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
            guard depth < JSONValue.maxDepth else { throw failure("nesting deeper than \(JSONValue.maxDepth) levels") }
            guard index < bytes.count else { throw failure("unexpected end of text") }
            let start = index
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var keys: [String] = []
                var values: [JSONValue] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return JSONValue(kind: .object(keys: keys, values: values), range: start..<index)
                }
                while true {
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a member name") }
                    let key = try string()
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "expected ':'")
                    skipWhitespace()
                    keys.append(key)
                    values.append(try value(depth: depth + 1))
                    skipWhitespace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "}"), "expected ',' or '}'")
                    return JSONValue(kind: .object(keys: keys, values: values), range: start..<index)
                }
            case UInt8(ascii: "["):
                index += 1
                var elements: [JSONValue] = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return JSONValue(kind: .array(elements), range: start..<index)
                }
                while true {
                    skipWhitespace()
                    elements.append(try value(depth: depth + 1))
                    skipWhitespace()
                    if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "]"), "expected ',' or ']'")
                    return JSONValue(kind: .array(elements), range: start..<index)
                }
            case UInt8(ascii: "\""):
                let text = try string()
                return JSONValue(kind: .string(text), range: start..<index)
            case UInt8(ascii: "t"):
                try literal("true")
                return JSONValue(kind: .boolean, range: start..<index)
            case UInt8(ascii: "f"):
                try literal("false")
                return JSONValue(kind: .boolean, range: start..<index)
            case UInt8(ascii: "n"):
                try literal("null")
                return JSONValue(kind: .null, range: start..<index)
            default:
                try number()
                return JSONValue(kind: .number, range: start..<index)
            }
        }

        mutating func expect(_ byte: UInt8, _ reason: String) throws(SyntaxError) {
            guard index < bytes.count, bytes[index] == byte else { throw failure(reason) }
            index += 1
        }

        mutating func literal(_ word: String) throws(SyntaxError) {
            for byte in word.utf8 { try expect(byte, "expected a value") }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
        mutating func number() throws(SyntaxError) {
            func digits(_ parser: inout Parser) -> Int {
                let start = parser.index
                while parser.index < parser.bytes.count, parser.bytes[parser.index] >= UInt8(ascii: "0"),
                      parser.bytes[parser.index] <= UInt8(ascii: "9") { parser.index += 1 }
                return parser.index - start
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else {
                throw failure("expected a value")
            }
            if bytes[index] == UInt8(ascii: "0") { index += 1 } else { _ = digits(&self) }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw failure("expected a digit after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw failure("expected a digit in the exponent") }
            }
        }

        /// A string starting at the opening quote; returns its decoded content.
        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var output: [UInt8] = []
            while true {
                guard index < bytes.count else { throw failure("unterminated string") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: output, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw failure("unterminated string") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
                    case UInt8(ascii: "b"): output.append(0x08)
                    case UInt8(ascii: "f"): output.append(0x0C)
                    case UInt8(ascii: "n"): output.append(0x0A)
                    case UInt8(ascii: "r"): output.append(0x0D)
                    case UInt8(ascii: "t"): output.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                            else { throw failure("unpaired surrogate escape") }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate escape") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw failure("unpaired surrogate escape")
                        }
                        output.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                    default:
                        throw failure("invalid escape")
                    }
                default:
                    guard byte >= 0x20 else { throw failure("control character in a string") }
                    output.append(byte)
                    index += 1
                }
            }
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw failure("invalid \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw failure("invalid \\u escape")
                }
                value = value * 16 + UInt32(digit)
                index += 1
            }
            return value
        }
    }
}
