/// A value or key that an output format cannot hold, found before anything is written.
///
/// The description names the output (when known), the format, the key and the reason.
/// It never contains the value, nor any part of it.
public struct OutputEncodingError: SecretsmithError, Equatable {
    /// Why the entry was refused.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidKey = "INVALID_KEY"
            case duplicateKey = "DUPLICATE_KEY"
            case nulByte = "NUL_BYTE"
            case invalidUtf8 = "INVALID_UTF8"
            case lineFeed = "LINE_FEED"
            case carriageReturn = "CARRIAGE_RETURN"
            case enclosingQuotes = "ENCLOSING_QUOTES"
            case lineTooLong = "LINE_TOO_LONG"
            case notKeyValueFormat = "NOT_KEY_VALUE_FORMAT"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`, the error's ``shortDescription``.
        public var description: String { base.rawValue }

        /// The key is empty or not an environment variable name.
        public static let invalidKey = Code(.invalidKey)

        /// The same key appears twice in one output.
        public static let duplicateKey = Code(.duplicateKey)

        /// The value contains a NUL byte.
        public static let nulByte = Code(.nulByte)

        /// The value is not valid UTF-8.
        public static let invalidUtf8 = Code(.invalidUtf8)

        /// The value contains a line feed the format cannot hold.
        public static let lineFeed = Code(.lineFeed)

        /// The value contains a carriage return the format cannot hold.
        public static let carriageReturn = Code(.carriageReturn)

        /// The value starts and ends with the same quote character, which readers of env
        /// files disagree on (`docker run` keeps the quotes, docker compose strips them).
        public static let enclosingQuotes = Code(.enclosingQuotes)

        /// The line would be longer than the reader accepts.
        public static let lineTooLong = Code(.lineTooLong)

        /// The format is not a key/value format (an internal error).
        public static let notKeyValueFormat = Code(.notKeyValueFormat)
    }

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
    public let key: String
    /// Why the entry was refused.
    package let reason: Reason
    /// The name of the output (`outputs[].name`), when the caller passed it.
    public let outputName: String?

    package init(format: OutputFormat, key: String, reason: Reason, outputName: String? = nil) {
        self.format = format
        self.key = key
        self.reason = reason
        self.outputName = outputName
    }

    /// `.configuration` (exit 65), or `.internalError` (exit 70) when a template output
    /// was passed to the encoder by mistake.
    public var kind: FailureKind {
        reason == .notKeyValueFormat ? .internalError : .configuration
    }

    /// What went wrong, from the reason.
    public var code: Code {
        switch reason {
        case .invalidKey: .invalidKey
        case .duplicateKey: .duplicateKey
        case .nulByte: .nulByte
        case .invalidUTF8: .invalidUtf8
        case .lineFeed: .lineFeed
        case .carriageReturn: .carriageReturn
        case .enclosingQuotes: .enclosingQuotes
        case .lineTooLong: .lineTooLong
        case .notKeyValueFormat: .notKeyValueFormat
        }
    }

    /// The code's name (`INVALID_KEY`, ...), a bounded label.
    public var shortDescription: String { code.description }

    public var description: String {
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
            sentence = "\(value) starts and ends with the same quote character, which readers of env files disagree on (docker run keeps the quotes, docker compose strips them); use the dotenv format, or a template."
        case .lineTooLong(let limit):
            sentence = "the line for key \"\(key)\" would be longer than \(limit) bytes, which docker cannot read from an env file."
        case .notKeyValueFormat:
            sentence = "\(format.rawValue) outputs are rendered from their template, not encoded from values (internal error)."
        }
        guard let outputName else { return sentence.prefix(1).uppercased() + sentence.dropFirst() }
        return "Output \"\(outputName)\": \(sentence)"
    }
}
