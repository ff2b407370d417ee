import YAML
/// The byte-level encoders behind the `json`, `base64`, `base64decode` and `urlquery`
/// template filters, and the UTF-8 check that `json` and the parser share.
///
/// Every function takes and returns raw bytes and never goes through `String`, so no
/// byte is normalised or replaced on the way.
enum TemplateEncoding {
    /// The 0-based offset of a byte that is not part of a valid input sequence.
    struct InvalidByte: Error, Equatable {
        /// 0-based offset into the input.
        var offset: Int
    }

    // MARK: UTF-8

    /// The 0-based offset of the first byte that is not valid UTF-8 (RFC 3629), or nil.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        UTF8Validation.firstInvalidByte(in: bytes)
    }

    // MARK: JSON

    private static let hexDigitsLower = Array("0123456789abcdef".utf8)
    private static let hexDigitsUpper = Array("0123456789ABCDEF".utf8)
    private static let unicodeEscapePrefix = Array(#"\u00"#.utf8)

    /// A JSON string literal (RFC 8259 §7) holding `bytes`, quotes included.
    ///
    /// `"` and `\` are escaped, as are all control characters below U+0020: `\b`, `\t`,
    /// `\n`, `\f` and `\r` in their short forms, the rest as `\u00XX` (lowercase hex).
    /// Everything else, DEL and non-ASCII included, is copied unchanged.
    ///
    /// - Parameter bytes: Valid UTF-8 (check with ``firstInvalidUTF8Offset(_:)`` first).
    /// - Returns: The literal's bytes.
    static func jsonString(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8 + 2)
        output.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                output.append(contentsOf: unicodeEscapePrefix)
                output.append(hexDigitsLower[Int(byte >> 4)])
                output.append(hexDigitsLower[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    // MARK: Base64 (RFC 4648 §4)

    private static let base64Alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The value of each byte in the standard alphabet, or 0xFF for bytes outside it.
    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in base64Alphabet.enumerated() {
            table[Int(byte)] = UInt8(value)
        }
        return table
    }()

    /// Standard base64 with `=` padding and no line breaks (RFC 4648 §4).
    ///
    /// - Parameter bytes: Any bytes.
    /// - Returns: ASCII bytes, `4 * ceil(count / 3)` of them.
    static func base64Encoded(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(base64Alphabet[Int(chunk >> 18 & 0x3F)])
            output.append(base64Alphabet[Int(chunk >> 12 & 0x3F)])
            output.append(base64Alphabet[Int(chunk >> 6 & 0x3F)])
            output.append(base64Alphabet[Int(chunk & 0x3F)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var chunk = UInt32(bytes[index]) << 16
            if rest == 2 { chunk |= UInt32(bytes[index + 1]) << 8 }
            output.append(base64Alphabet[Int(chunk >> 18 & 0x3F)])
            output.append(base64Alphabet[Int(chunk >> 12 & 0x3F)])
            output.append(rest == 2 ? base64Alphabet[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return output
    }

    /// Decodes standard base64 (RFC 4648 §4).
    ///
    /// ASCII whitespace (space, tab, CR, LF) anywhere is ignored, so wrapped PEM-style
    /// bodies and values with a trailing newline decode. Padding is optional, but when
    /// present it must be correct and nothing but whitespace may follow it. Unused low
    /// bits of the last character are ignored.
    ///
    /// - Parameter bytes: The base64 text.
    /// - Returns: The decoded bytes.
    /// - Throws: ``InvalidByte`` with the 0-based offset of the first character outside
    ///   the alphabet, of misplaced padding, or of the end when the length is impossible.
    static func base64Decoded(_ bytes: [UInt8]) throws(InvalidByte) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 4 * 3 + 3)
        var accumulator: UInt32 = 0
        var pending = 0          // characters in the current group of four
        var padding = 0          // `=` characters seen
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "="):
                // Padding completes a group of two or three characters, and only once.
                guard pending + padding >= 2, pending + padding < 4 else { throw InvalidByte(offset: offset) }
                padding += 1
            default:
                let value = base64Values[Int(byte)]
                guard value != 0xFF, padding == 0 else { throw InvalidByte(offset: offset) }
                accumulator = accumulator << 6 | UInt32(value)
                pending += 1
                if pending == 4 {
                    output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                    output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                    output.append(UInt8(truncatingIfNeeded: accumulator))
                    accumulator = 0
                    pending = 0
                }
            }
        }
        if padding > 0, pending + padding != 4 { throw InvalidByte(offset: bytes.count) }
        switch pending {
        case 0:
            break
        case 2:
            output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            throw InvalidByte(offset: bytes.count)
        }
        return output
    }

    // MARK: URL query (RFC 3986)

    /// Percent-encodes every byte except the unreserved characters of RFC 3986 §2.3
    /// (`A-Z a-z 0-9 - . _ ~`), with uppercase hex digits (§2.1). A space becomes `%20`,
    /// never `+`, so the result is safe in a query component and in a path segment.
    ///
    /// - Parameter bytes: Any bytes.
    /// - Returns: ASCII bytes.
    static func percentEncoded(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 2)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hexDigitsUpper[Int(byte >> 4)])
                output.append(hexDigitsUpper[Int(byte & 0x0F)])
            }
        }
        return output
    }
}
