/// Encodes the entries of a key/value output (`dotenv`, `shell`, `json`,
/// `docker-env-file`) into the bytes of the file.
///
/// Values are bytes (secret payloads, after any JSON pointer). A value a format cannot
/// hold exactly is refused with an ``OutputEncodingError`` that names the key, never
/// written lossily. The checks shared by every format live here:
/// - keys of the environment formats (`dotenv`, `shell`, `docker-env-file`) match
///   `[A-Za-z_][A-Za-z0-9_]*`; `json` keys may be any non-empty string;
/// - a key may appear once per output;
/// - no value of an environment format may contain a NUL byte (environment variables
///   cannot carry one, and C consumers of the files would truncate at it); `json` writes
///   it as `\u0000`.
///
/// Each format's own rules are documented on ``DotenvEncoder``, ``ShellEncoder``,
/// ``JSONOutputEncoder`` and ``DockerEnvFileEncoder``.
package enum OutputEncoder {
    /// Encodes entries, in the given order, as the bytes of one output file.
    ///
    /// - Parameters:
    ///   - format: The output format; `.template` is not a key/value format.
    ///   - entries: Keys and their values (bytes), in declared order.
    ///   - outputName: The output's name (`outputs[].name`), used in error descriptions.
    ///   - jsonKeys: For `json`, the keys whose values are JSON text to write as JSON (a
    ///     pointer that selected a number, boolean, null, object or array); ignored by the
    ///     other formats.
    /// - Returns: The file content (UTF-8 text ending in a newline, or empty for no entries
    ///   in the line formats).
    /// - Throws: ``OutputEncodingError`` naming the first key whose key or value the format
    ///   cannot hold; `.notKeyValueFormat` (an internal error) for `.template`.
    package static func encode(
        _ format: OutputFormat,
        entries: [(key: String, value: [UInt8])],
        outputName: String? = nil,
        jsonKeys: Set<String> = []
    ) throws(OutputEncodingError) -> [UInt8] {
        do throws(OutputEncodingError) {
            try validateKeys(format, entries: entries)
            switch format {
            case .template:
                throw OutputEncodingError(format: format, key: "", reason: .notKeyValueFormat)
            case .dotenv:
                return try DotenvEncoder.encode(entries)
            case .shell:
                return try ShellEncoder.encode(entries)
            case .json:
                return try JSONOutputEncoder.encode(entries, jsonKeys: jsonKeys)
            case .dockerEnvFile:
                return try DockerEnvFileEncoder.encode(entries)
            }
        } catch {
            guard let outputName else { throw error }
            throw OutputEncodingError(format: error.format, key: error.key, reason: error.reason, outputName: outputName)
        }
    }

    /// Encodes as ``encode(_:entries:outputName:jsonKeys:)`` does, but reports every key
    /// or value the format refuses, not only the first: each invalid or repeated key, and
    /// the first reason each remaining value is refused.
    ///
    /// - Returns: The file content when nothing was refused (else `nil`), and the errors
    ///   in entry order (empty when `bytes` is not `nil`).
    package static func encodeCollectingErrors(
        _ format: OutputFormat,
        entries: [(key: String, value: [UInt8])],
        outputName: String? = nil,
        jsonKeys: Set<String> = []
    ) -> (bytes: [UInt8]?, errors: [OutputEncodingError]) {
        do throws(OutputEncodingError) {
            return (try encode(format, entries: entries, outputName: outputName, jsonKeys: jsonKeys), [])
        } catch let first {
            guard format != .template else { return (nil, [first]) }
            // Each entry alone: values are encoded independently of each other.
            var errors: [OutputEncodingError] = []
            var seen = Set<String>()
            for entry in entries {
                do throws(OutputEncodingError) {
                    let valid = format == .json ? !entry.key.isEmpty : isEnvironmentVariableName(entry.key)
                    guard valid else {
                        throw OutputEncodingError(format: format, key: entry.key, reason: .invalidKey)
                    }
                    guard seen.insert(entry.key).inserted else {
                        throw OutputEncodingError(format: format, key: entry.key, reason: .duplicateKey)
                    }
                    _ = try encode(format, entries: [entry], jsonKeys: jsonKeys.contains(entry.key) ? [entry.key] : [])
                } catch {
                    errors.append(
                        OutputEncodingError(format: format, key: error.key, reason: error.reason, outputName: outputName))
                }
            }
            return (nil, errors.isEmpty ? [first] : errors)
        }
    }

    /// Whether `key` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`
    /// (POSIX.1-2017, XBD chapter 8, as used by the shells and docker).
    package static func isEnvironmentVariableName(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "_") || isASCIILetter(first) else {
            return false
        }
        return bytes.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || isASCIIDigit($0) }
    }

    /// Refuses invalid and duplicate keys, in entry order.
    ///
    /// - Throws: ``OutputEncodingError`` with `.invalidKey` or `.duplicateKey`.
    static func validateKeys(_ format: OutputFormat, entries: [(key: String, value: [UInt8])]) throws(OutputEncodingError) {
        var seen = Set<String>()
        for entry in entries {
            let valid = format == .json ? !entry.key.isEmpty : isEnvironmentVariableName(entry.key)
            guard valid else {
                throw OutputEncodingError(format: format, key: entry.key, reason: .invalidKey)
            }
            guard seen.insert(entry.key).inserted else {
                throw OutputEncodingError(format: format, key: entry.key, reason: .duplicateKey)
            }
        }
    }

    /// Refuses a value containing a NUL byte.
    ///
    /// - Throws: ``OutputEncodingError`` with `.nulByte`.
    static func refuseNUL(_ value: [UInt8], key: String, format: OutputFormat) throws(OutputEncodingError) {
        if value.contains(0) {
            throw OutputEncodingError(format: format, key: key, reason: .nulByte)
        }
    }

    /// Refuses a value that is not valid UTF-8 (overlong forms, surrogates and
    /// truncated sequences included).
    ///
    /// - Throws: ``OutputEncodingError`` with `.invalidUTF8`.
    static func refuseInvalidUTF8(_ value: [UInt8], key: String, format: OutputFormat) throws(OutputEncodingError) {
        if !isValidUTF8(value) {
            throw OutputEncodingError(format: format, key: key, reason: .invalidUTF8)
        }
    }

    /// Whether `bytes` is well-formed UTF-8 (Unicode 15, table 3-7).
    package static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isASCIIDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
