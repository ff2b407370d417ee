/// Encodes `json` files: one JSON object (RFC 8259), keys in declared order.
///
/// The object is pretty-printed with two spaces of indentation, one member per line,
/// `"key": "value"`, and the file ends in a newline (`{}` and a newline for no entries).
/// Values are JSON strings: `"` and `\` are escaped, control characters below U+0020
/// (NUL included) become `\b \f \n \r \t` or `\u00XX`, and every other character is
/// written as UTF-8 (nothing is `\u`-escaped beyond that, so non-ASCII text stays
/// readable). A value whose key is in `jsonKeys` (a `#pointer` that selected a number,
/// boolean, null, object or array) is already compact JSON text and is written as it is,
/// so it keeps its JSON type.
///
/// Refused, naming the key: a value that is not valid UTF-8 (a JSON string holds text;
/// the template `base64` filter is the way to carry binary data).
package enum JSONOutputEncoder {
    /// Encodes the entries as one JSON object.
    ///
    /// - Parameters:
    ///   - entries: Non-empty, distinct keys and their values.
    ///   - jsonKeys: The keys whose values are JSON text (from a parsed document) to write
    ///     verbatim instead of as strings.
    /// - Returns: UTF-8 JSON text ending in `\n`.
    /// - Throws: ``OutputEncodingError`` with `.invalidUTF8`, naming the key.
    static func encode(
        _ entries: [(key: String, value: [UInt8])], jsonKeys: Set<String> = []
    ) throws(OutputEncodingError) -> [UInt8] {
        guard !entries.isEmpty else { return Array("{}\n".utf8) }
        var output: [UInt8] = Array("{\n".utf8)
        for (index, entry) in entries.enumerated() {
            try OutputEncoder.refuseInvalidUTF8(entry.value, key: entry.key, format: .json)
            output.append(contentsOf: "  ".utf8)
            output.append(contentsOf: stringLiteral(Array(entry.key.utf8)))
            output.append(contentsOf: ": ".utf8)
            if jsonKeys.contains(entry.key) {
                output.append(contentsOf: entry.value)
            } else {
                output.append(contentsOf: stringLiteral(entry.value))
            }
            output.append(contentsOf: (index == entries.count - 1 ? "\n" : ",\n").utf8)
        }
        output.append(contentsOf: "}\n".utf8)
        return output
    }

    /// Writes valid UTF-8 bytes as a JSON string literal, quotes included.
    ///
    /// - Parameter utf8: Valid UTF-8 text.
    /// - Returns: The literal, e.g. `"a\"b"`.
    package static func stringLiteral(_ utf8: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x00..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}
