/// Encodes `shell` files: `export KEY='value'` lines that POSIX `sh`, `dash` and `bash`
/// read back byte for byte with `. FILE`.
///
/// Every value is one single-quoted word, with each `'` written as `'\''` (close the
/// quotes, an escaped quote, reopen). Inside single quotes a POSIX shell takes every byte
/// literally (POSIX.1-2017, XCU 2.2.2): `$`, backquotes, `\`, `#`, newlines and carriage
/// returns included, so sourcing the file never runs anything. Bytes that are not UTF-8
/// are kept as they are.
///
/// Refused, naming the key: a NUL byte, which no shell variable can hold.
///
/// Keys that the shell treats as read-only (bash's `UID`, `EUID`, `PPID`, `BASHOPTS`,
/// `SHELLOPTS`) make `export` fail when sourced; they are written as configured.
package enum ShellEncoder {
    /// Encodes the entries as `export` lines.
    ///
    /// - Parameter entries: Keys (already validated as environment variable names) and values.
    /// - Returns: One `export KEY='…'` line per entry, each ending in `\n`.
    /// - Throws: ``OutputEncodingError`` with `.nulByte`, naming the key.
    static func encode(_ entries: [(key: String, value: [UInt8])]) throws(OutputEncodingError) -> [UInt8] {
        var output: [UInt8] = []
        for entry in entries {
            try OutputEncoder.refuseNUL(entry.value, key: entry.key, format: .shell)
            output.append(contentsOf: "export ".utf8)
            output.append(contentsOf: entry.key.utf8)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: singleQuoted(entry.value))
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// Quotes bytes as one POSIX shell word: `'…'`, with `'` written as `'\''`.
    ///
    /// - Parameter value: Any bytes without NUL.
    /// - Returns: The quoted word.
    package static func singleQuoted(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "'")]
        for byte in value {
            if byte == UInt8(ascii: "'") {
                out.append(contentsOf: "'\\''".utf8)
            } else {
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "'"))
        return out
    }
}
