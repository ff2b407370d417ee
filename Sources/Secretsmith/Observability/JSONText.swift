/// A small JSON writer for log lines and span lines: sorted keys, no whitespace, `/` not
/// escaped, control characters as `\u00XX` (RFC 8259 §7). Foundation's JSONSerialization
/// costs about a quarter of a millisecond per line on Linux, which showed in a 200-secret
/// render with JSON logs; this writes the same text directly.
package enum JSONText {
    /// Encodes `value`: `String`, `Bool`, `Int`, `Int64`, `UInt64`, `Double`, `[String: Any]`
    /// (keys sorted), `[Any]`; anything else as its description string.
    package static func encode(_ value: Any) -> String {
        var output = ""
        output.reserveCapacity(256)
        append(value, to: &output)
        return output
    }

    package static func append(_ value: Any, to output: inout String) {
        switch value {
        case let string as String: appendString(string, to: &output)
        case let bool as Bool: output += bool ? "true" : "false"
        case let int as Int: output += String(int)
        case let int as Int64: output += String(int)
        case let int as UInt64: output += String(int)
        case let double as Double: output += double.isFinite ? String(double) : "null"
        case let object as [String: Any]:
            output += "{"
            var first = true
            for key in object.keys.sorted() {
                if !first { output += "," }
                first = false
                appendString(key, to: &output)
                output += ":"
                append(object[key]!, to: &output)
            }
            output += "}"
        case let array as [Any]:
            output += "["
            for (index, element) in array.enumerated() {
                if index > 0 { output += "," }
                append(element, to: &output)
            }
            output += "]"
        default:
            appendString(String(describing: value), to: &output)
        }
    }

    package static func appendString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
