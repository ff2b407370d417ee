/// A value or key that an output format cannot hold, found before anything is written.
///
/// The description names the output (when known), the format, the key and the reason.
/// It never contains the value, nor any part of it.
package struct OutputEncodingError: SecretsmithError, Equatable {
    /// Why the entry was refused.
    package enum Reason: Sendable, Hashable {
        /// The key is empty or is not an environment variable name (`[A-Za-z_][A-Za-z0-9_]*`).
        case invalidKey
        /// The same key appears twice in one output.
        case duplicateKey
        /// The value contains a NUL byte, which no format (and no environment variable) can hold.
        case nulByte
        /// The value is not valid UTF-8.
        case invalidUTF8
        /// The value contains a line feed (`\n`), which the format cannot hold.
        case lineFeed
        /// The value contains a carriage return (`\r`), which the format cannot hold.
        case carriageReturn
        /// The value starts and ends with the same quote character, which some
        /// `docker` versions strip (`'…'`, `"…"`).
        case enclosingQuotes
        /// The line `KEY=value` is longer than the reader accepts (the limit, in bytes).
        case lineTooLong(limit: Int)
        /// The format is not a key/value format (`template` is rendered, not encoded).
        case notKeyValueFormat
    }

    /// The output format that refused the entry.
    package let format: OutputFormat
    /// The key whose value was refused; empty for ``Reason/notKeyValueFormat``.
    package let key: String
    /// Why the entry was refused.
    package let reason: Reason
    /// The name of the output (`outputs[].name`), when the caller passed it.
    package let outputName: String?

    package init(format: OutputFormat, key: String, reason: Reason, outputName: String? = nil) {
        self.format = format
        self.key = key
        self.reason = reason
        self.outputName = outputName
    }

    /// `.configuration` (exit 65), or `.internalError` (exit 70) when a template output
    /// was passed to the encoder by mistake.
    package var kind: FailureKind {
        reason == .notKeyValueFormat ? .internalError : .configuration
    }

    /// A bounded label naming the reason (`INVALID_KEY`, `NUL_BYTE`, ...).
    package var shortDescription: String {
        switch reason {
        case .invalidKey: "INVALID_KEY"
        case .duplicateKey: "DUPLICATE_KEY"
        case .nulByte: "NUL_BYTE"
        case .invalidUTF8: "INVALID_UTF8"
        case .lineFeed: "LINE_FEED"
        case .carriageReturn: "CARRIAGE_RETURN"
        case .enclosingQuotes: "ENCLOSING_QUOTES"
        case .lineTooLong: "LINE_TOO_LONG"
        case .notKeyValueFormat: "NOT_KEY_VALUE_FORMAT"
        }
    }

    package var description: String {
        let file = format == .dockerEnvFile ? "a docker env file" : "a \(format.rawValue) file"
        let value = "the value of key \"\(key)\""
        let sentence: String
        switch reason {
        case .invalidKey:
            sentence = format == .json
                ? "the key \"\(key)\" is empty; \(file) needs non-empty keys."
                : "the key \"\(key)\" is not an environment variable name, which \(file) needs; use letters, digits and underscores, not starting with a digit."
        case .duplicateKey:
            sentence = "the key \"\(key)\" appears more than once; each key may appear once."
        case .nulByte:
            sentence = "\(value) contains a NUL byte, which \(file) cannot hold; use a template output with the base64 filter."
        case .invalidUTF8:
            sentence = "\(value) is not valid UTF-8, which \(file) cannot hold; use a template output with the base64 filter for binary data."
        case .lineFeed:
            sentence = "\(value) contains a newline, which \(file) cannot hold (it has no quoting); use the dotenv, shell or json format, or a template."
        case .carriageReturn:
            sentence = "\(value) contains a carriage return, which \(file) cannot hold (it has no quoting); use the dotenv, shell or json format, or a template."
        case .enclosingQuotes:
            sentence = "\(value) starts and ends with the same quote character, which docker strips when it reads an env file; use the dotenv format, or a template."
        case .lineTooLong(let limit):
            sentence = "the line for key \"\(key)\" would be longer than \(limit) bytes, which docker cannot read from an env file."
        case .notKeyValueFormat:
            sentence = "\(format.rawValue) outputs are rendered from their template, not encoded from values (internal error)."
        }
        guard let outputName else { return sentence.prefix(1).uppercased() + sentence.dropFirst() }
        return "Output \"\(outputName)\": \(sentence)"
    }
}
