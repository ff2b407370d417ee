/// Encodes `docker-env-file` files: `KEY=value` lines for `docker run --env-file`.
///
/// docker's reader (docker/cli `pkg/kvfile`, formerly `opts/envfile.go`) splits lines on
/// `\n` with Go's `bufio.Scanner` (which also drops one `\r` before the `\n`), requires
/// valid UTF-8, strips whitespace before the key, and takes everything after the first
/// `=` as the value, without quoting, escapes or interpolation: `docker run` keeps quotes
/// around a value, while docker compose's reader of the same files strips one matching
/// pair, and changing `docker run` to strip them too has been proposed (docker/cli issue
/// 3630), so a value wrapped in quotes cannot be read the same way everywhere.
///
/// Refused, naming the key, because no line can carry them or versions disagree on them:
/// a NUL byte, a line feed, a carriage return, invalid UTF-8, a value of two or more bytes
/// that starts and ends with the same quote character (`'…'` or `"…"`), and a line longer
/// than `bufio.MaxScanTokenSize` (65,536 bytes including its newline).
/// Leading and trailing spaces, `#`, `$`, `=` and quotes elsewhere are kept exactly.
package enum DockerEnvFileEncoder {
    /// The longest line docker reads, in bytes, including the final `\n`
    /// (Go's `bufio.MaxScanTokenSize`).
    package static let maximumLineLength = 64 * 1024

    /// Encodes the entries as `KEY=value` lines.
    ///
    /// - Parameter entries: Keys (already validated as environment variable names) and values.
    /// - Returns: One `KEY=value` line per entry, each ending in `\n`.
    /// - Throws: ``OutputEncodingError`` naming the key, with `.nulByte`, `.lineFeed`,
    ///   `.carriageReturn`, `.invalidUTF8`, `.enclosingQuotes` or `.lineTooLong`.
    static func encode(_ entries: [(key: String, value: [UInt8])]) throws(OutputEncodingError) -> [UInt8] {
        var output: [UInt8] = []
        for entry in entries {
            let value = entry.value
            func refuse(_ reason: OutputEncodingError.Reason) -> OutputEncodingError {
                OutputEncodingError(format: .dockerEnvFile, key: entry.key, reason: reason)
            }
            try OutputEncoder.refuseNUL(value, key: entry.key, format: .dockerEnvFile)
            if value.contains(UInt8(ascii: "\n")) { throw refuse(.lineFeed) }
            if value.contains(UInt8(ascii: "\r")) { throw refuse(.carriageReturn) }
            try OutputEncoder.refuseInvalidUTF8(value, key: entry.key, format: .dockerEnvFile)
            if value.count >= 2, let first = value.first, first == value.last,
               first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") {
                throw refuse(.enclosingQuotes)
            }
            let lineLength = entry.key.utf8.count + 1 + value.count + 1
            if lineLength > maximumLineLength { throw refuse(.lineTooLong(limit: maximumLineLength)) }
            output.append(contentsOf: entry.key.utf8)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: value)
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }
}
