/// Strict UTF-8 validation with a line/column for the first bad byte. Shared with the
/// template engine (the `json` filter, quoted arguments).
package enum UTF8Validation {
    /// The first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms,
    /// no surrogates, nothing above U+10FFFF), as a byte offset, or `nil` if all is well.
    package static func firstInvalidByte(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= lower, second <= upper else { return index }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
                return index
            }
            index += length
        }
        return nil
    }

    /// ``firstInvalidByte(in:)`` for an array.
    package static func firstInvalidByte(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidByte(in: $0) }
    }

    /// The 1-based line and column of byte `offset`, counting lines the way libyaml does
    /// (`\n`, `\r\n`, a lone `\r`, NEL, LS and PS each end a line, as YAML 1.1 says), so that
    /// the mark agrees with libyaml's marks for the rest of the file, and columns in Unicode
    /// scalars (continuation bytes do not count).
    static func mark(ofByte offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Mark {
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte == 0x0D {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                    // counted at the \n
                } else {
                    line += 1
                    column = 1
                }
            } else if byte == 0xC2, index + 1 < end, bytes[index + 1] == 0x85 {
                // NEL (U+0085)
                line += 1
                column = 1
                index += 2
                continue
            } else if byte == 0xE2, index + 2 < end, bytes[index + 1] == 0x80,
                bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
            {
                // LS and PS (U+2028, U+2029)
                line += 1
                column = 1
                index += 3
                continue
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return Mark(line: line, column: column)
    }
}
