import YAML

/// A `| filter` of a template action, applied to the value's bytes left to right.
///
/// Filters never look at a value as text except where documented (`json` requires
/// UTF-8); they never normalise line endings, strip a byte order mark, or drop NUL bytes.
enum TemplateFilter: Sendable, Hashable {
    /// `json`: a JSON string literal (RFC 8259 §7), quotes included. The value must be
    /// valid UTF-8.
    case json
    /// `base64`: standard base64 with `=` padding (RFC 4648 §4), one line.
    case base64
    /// `base64decode`: decodes standard base64; whitespace is ignored, padding optional.
    case base64Decode
    /// `trim`: removes ASCII whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`) at both ends.
    case trim
    /// `trimnl`: removes exactly one trailing newline, `\n` or `\r\n`, if there is one.
    case trimNewline
    /// `indent N`: prefixes every non-empty line, the first one included, with N spaces.
    case indent(Int)
    /// `shell`: a POSIX shell single-quoted word (`'` becomes `'\''`); NUL is refused.
    case shell
    /// `urlquery`: percent-encoding for a URL query component; RFC 3986 unreserved kept.
    case urlQuery

    /// The largest `indent` count accepted, in spaces.
    static let maximumIndent = 256

    /// The filter names as written in templates, in documentation order.
    static let names = ["json", "base64", "base64decode", "trim", "trimnl", "indent", "shell", "urlquery"]

    /// Names other template languages use for the same thing, for did-you-mean hints.
    static let aliases: [String: String] = [
        "tojson": "json", "to_json": "json", "jsonify": "json", "quote": "shell",
        "b64": "base64", "b64enc": "base64", "base64encode": "base64", "base64_encode": "base64",
        "b64dec": "base64decode", "base64_decode": "base64decode", "base64-decode": "base64decode",
        "strip": "trim", "trimspace": "trim", "trim_space": "trim",
        "chomp": "trimnl", "trimnewline": "trimnl", "trim_newline": "trimnl",
        "nindent": "indent", "indented": "indent",
        "sh": "shell", "shellquote": "shell", "shell_quote": "shell", "squote": "shell",
        "urlencode": "urlquery", "url_encode": "urlquery", "urlescape": "urlquery",
        "escape": "urlquery", "query": "urlquery", "uriencode": "urlquery",
    ]

    /// The filter called `name` when it takes no argument; nil for `indent` and unknown names.
    ///
    /// - Parameter name: The name as written, case-sensitive.
    init?(argumentlessName name: String) {
        switch name {
        case "json": self = .json
        case "base64": self = .base64
        case "base64decode": self = .base64Decode
        case "trim": self = .trim
        case "trimnl": self = .trimNewline
        case "shell": self = .shell
        case "urlquery": self = .urlQuery
        default: return nil
        }
    }

    /// The name as written in templates.
    var name: String {
        switch self {
        case .json: "json"
        case .base64: "base64"
        case .base64Decode: "base64decode"
        case .trim: "trim"
        case .trimNewline: "trimnl"
        case .indent: "indent"
        case .shell: "shell"
        case .urlQuery: "urlquery"
        }
    }

    /// Applies the filter.
    ///
    /// - Parameters:
    ///   - value: The bytes to transform.
    ///   - subject: How an error names the value, e.g. "the value of secret `a/b`".
    ///   - path: The template path, for errors.
    ///   - mark: The action's position, for errors.
    /// - Returns: The transformed bytes.
    /// - Throws: ``TemplateError`` when `json` meets invalid UTF-8, `base64decode` meets
    ///   invalid base64, or `shell` meets a NUL byte; the message names the byte offset,
    ///   never the value.
    func apply(to value: [UInt8], subject: String, path: String, mark: Mark) throws(TemplateError) -> [UInt8] {
        switch self {
        case .json:
            if let offset = TemplateEncoding.firstInvalidUTF8Offset(value) {
                throw TemplateError(
                    path: path, mark: mark,
                    message: "The `json` filter needs UTF-8 text, but \(subject) is not valid UTF-8 at byte offset \(offset).",
                    hint: "Use `base64` to carry binary data.")
            }
            return TemplateEncoding.jsonString(value)
        case .base64:
            return TemplateEncoding.base64Encoded(value)
        case .base64Decode:
            do {
                return try TemplateEncoding.base64Decoded(value)
            } catch {
                throw TemplateError(
                    path: path, mark: mark,
                    message: "The `base64decode` filter cannot decode \(subject): it is not valid base64 at byte offset \(error.offset).",
                    hint: "Only standard base64 (A-Z a-z 0-9 + / and = padding, RFC 4648 section 4) is decoded; whitespace is ignored.")
            }
        case .trim:
            return Self.trimmed(value)
        case .trimNewline:
            return Self.withoutTrailingNewline(value)
        case .indent(let count):
            return Self.indented(value, by: count)
        case .shell:
            if let offset = value.firstIndex(of: 0) {
                throw TemplateError(
                    path: path, mark: mark,
                    message: "The `shell` filter cannot quote \(subject): it contains a NUL byte at byte offset \(offset), which no shell word can hold.",
                    hint: "Use `base64` to carry binary data.")
            }
            return Self.shellQuoted(value)
        case .urlQuery:
            return TemplateEncoding.percentEncoded(value)
        }
    }

    // MARK: The byte transformations

    /// Whether `byte` is ASCII whitespace as `trim` understands it.
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    /// `value` without ASCII whitespace at either end.
    static func trimmed(_ value: [UInt8]) -> [UInt8] {
        guard let first = value.firstIndex(where: { !isASCIIWhitespace($0) }),
              let last = value.lastIndex(where: { !isASCIIWhitespace($0) })
        else { return [] }
        if first == 0 && last == value.count - 1 { return value }
        return Array(value[first...last])
    }

    /// `value` without one trailing `\n` or `\r\n`; a lone trailing `\r` is kept.
    static func withoutTrailingNewline(_ value: [UInt8]) -> [UInt8] {
        guard value.last == 0x0A else { return value }
        let dropped = value.count >= 2 && value[value.count - 2] == 0x0D ? 2 : 1
        return Array(value.dropLast(dropped))
    }

    /// `value` with `count` spaces before every non-empty line.
    ///
    /// Lines end at `\n`. A line is empty when nothing, or only a `\r` of a `\r\n`, comes
    /// before its `\n`, and the "line" after a final `\n` is empty, so blank lines and
    /// the end stay free of trailing spaces. The first line is indented too: write the
    /// action at the start of a line.
    static func indented(_ value: [UInt8], by count: Int) -> [UInt8] {
        guard count > 0, !value.isEmpty else { return value }
        let newlines = value.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        var output: [UInt8] = []
        output.reserveCapacity(value.count + (newlines + 1) * count)
        var atLineStart = true
        for index in value.indices {
            let byte = value[index]
            if atLineStart {
                let empty = byte == 0x0A
                    || (byte == 0x0D && index + 1 < value.count && value[index + 1] == 0x0A)
                if !empty {
                    output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count))
                }
                atLineStart = false
            }
            output.append(byte)
            if byte == 0x0A { atLineStart = true }
        }
        return output
    }

    private static let escapedQuote = Array(#"'\''"#.utf8)

    /// `value` as one POSIX single-quoted word: `'…'`, each `'` written as `'\''`.
    ///
    /// Single quotes preserve every byte but `'` literally (POSIX.1-2017, Shell Command
    /// Language §2.2.2), newlines included. The value must not contain NUL.
    static func shellQuoted(_ value: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(value.count + 2)
        output.append(UInt8(ascii: "'"))
        for byte in value {
            if byte == UInt8(ascii: "'") {
                output.append(contentsOf: escapedQuote)
            } else {
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "'"))
        return output
    }
}
