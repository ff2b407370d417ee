/// Encodes `dotenv` files that python-dotenv and docker compose read back byte for byte.
///
/// Each entry is one `KEY=<value>` line (a single-quoted value may span lines). The quoting
/// is chosen per value, first that fits:
///
/// 1. **single quotes** `'…'`: when the value has no `'`, no carriage return, no backslash
///    followed by `\`, no trailing backslash, and nothing python-dotenv would interpolate
///    (`${NAME}` or `${NAME:-default}`). Both readers then take every byte literally;
///    newlines are kept inside the quotes. A value with `'` never goes in single quotes:
///    python-dotenv and newer compose-go decode `\'` there, but older compose-go
///    releases keep the backslash, so no spelling of `'` inside single quotes reads the same
///    everywhere.
/// 2. **double quotes** `"…"`, with `\` → `\\`, `"` → `\"`, LF → `\n`, CR → `\r`: when the
///    value has no `$` and no trailing backslash.
/// 3. **unquoted**: a value made only of printable ASCII without `$ # ' "`, and without
///    leading or trailing spaces (a Windows path ending in `\`, for example).
/// 4. **python-dotenv only**: double quotes as in 2, with every `$` written as `${:-$}` (an
///    interpolation of the empty name that yields `$`) and `${:-}` appended after a
///    trailing backslash. python-dotenv reads the value exactly; docker compose refuses
///    the file with "Invalid template" instead of reading a different value. This form is
///    used only for values with `${…}`, or a `$` together with a carriage return, a `'`, a
///    doubled backslash, or a trailing backslash (or a trailing backslash
///    together with characters the unquoted form cannot hold).
///
/// Refused, naming the key: a NUL byte (python-dotenv would keep it, but no environment
/// variable can hold it) and invalid UTF-8 (python-dotenv decodes the file as strict
/// UTF-8). Nothing else is refused.
///
/// The readers' rules this relies on, from their sources:
/// - python-dotenv 1.x (`parser.py`, `main.py`, `variables.py`): the file is opened in
///   text mode as UTF-8, so a raw CR (alone or in CRLF) becomes LF. Single-quoted values
///   match `'((?:\\'|[^'])*)'` and decode `\\` and `\'`; double-quoted values match
///   `"((?:\\"|[^"])*)"` and decode `\\ \' \" \a \b \f \n \r \t \v`. A backslash right
///   before the closing quote is taken as an escaped quote, so the match runs on to a
///   later quote in the file (hence no trailing backslash inside quotes). Unquoted values
///   lose leading whitespace, a ` #` comment and trailing whitespace. With the default
///   `interpolate=True`, `${NAME}` and `${NAME:-default}` are expanded in every value,
///   quoted or not; an empty NAME is never set (environment names are never empty).
/// - compose-go v2 (`dotenv/parser.go`, `template/template.go`): in single quotes nothing
///   is interpolated, and `\'` is decoded by newer releases only; in double quotes `\"` is decoded while
///   scanning, then `\\ \n \r \t \$ …` and octal escapes, then `$NAME`, `${NAME…}` and
///   `$$` are interpolated and any other `$` is an error; unquoted values lose a ` #`
///   comment and trailing whitespace and are interpolated.
package enum DotenvEncoder {
    /// Encodes the entries as dotenv lines.
    ///
    /// - Parameter entries: Keys (already validated as environment variable names) and values.
    /// - Returns: UTF-8 text, one `KEY=value` entry per line, each ending in `\n`.
    /// - Throws: ``OutputEncodingError`` with `.nulByte` or `.invalidUTF8`, naming the key.
    static func encode(_ entries: [(key: String, value: [UInt8])]) throws(OutputEncodingError) -> [UInt8] {
        var output: [UInt8] = []
        for entry in entries {
            try OutputEncoder.refuseNUL(entry.value, key: entry.key, format: .dotenv)
            try OutputEncoder.refuseInvalidUTF8(entry.value, key: entry.key, format: .dotenv)
            output.append(contentsOf: entry.key.utf8)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: encodeValue(entry.value))
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// The quoting chosen for one value; see the type's documentation.
    package enum Quoting: Sendable, Hashable {
        case single, double, unquoted, pythonDotenvOnly
    }

    /// Picks the quoting for a value (valid UTF-8 without NUL).
    package static func quoting(for value: [UInt8]) -> Quoting {
        if fitsSingleQuotes(value) { return .single }
        if fitsDoubleQuotes(value) { return .double }
        if fitsUnquoted(value) { return .unquoted }
        return .pythonDotenvOnly
    }

    /// Encodes one value (valid UTF-8 without NUL) in the quoting ``quoting(for:)`` picks.
    package static func encodeValue(_ value: [UInt8]) -> [UInt8] {
        switch quoting(for: value) {
        case .single:
            return [quote] + value + [quote]
        case .double:
            return doubleQuoted(value, escapeDollar: false)
        case .unquoted:
            return value
        case .pythonDotenvOnly:
            return doubleQuoted(value, escapeDollar: true)
        }
    }

    private static let quote = UInt8(ascii: "'")
    private static let doubleQuote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let dollar = UInt8(ascii: "$")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")

    private static func doubleQuoted(_ value: [UInt8], escapeDollar: Bool) -> [UInt8] {
        var out: [UInt8] = [doubleQuote]
        for byte in value {
            switch byte {
            case backslash: out += [backslash, backslash]
            case doubleQuote: out += [backslash, doubleQuote]
            case lineFeed: out += [backslash, UInt8(ascii: "n")]
            case carriageReturn: out += [backslash, UInt8(ascii: "r")]
            case dollar where escapeDollar: out += Array("${:-$}".utf8)
            default: out.append(byte)
            }
        }
        if escapeDollar, value.last == backslash {
            // Keeps the escaped backslash away from the closing quote (see the type's notes).
            out += Array("${:-}".utf8)
        }
        out.append(doubleQuote)
        return out
    }

    private static func fitsSingleQuotes(_ value: [UInt8]) -> Bool {
        if value.contains(carriageReturn) || value.contains(quote) || containsPythonDotenvVariable(value) {
            return false
        }
        for index in value.indices where value[index] == backslash {
            let next = index + 1
            guard next < value.count else { return false }
            if value[next] == backslash { return false }
        }
        return true
    }

    private static func fitsDoubleQuotes(_ value: [UInt8]) -> Bool {
        !value.contains(dollar) && value.last != backslash
    }

    private static func fitsUnquoted(_ value: [UInt8]) -> Bool {
        guard let first = value.first, let last = value.last, first != 0x20, last != 0x20 else { return false }
        let excluded: Set<UInt8> = [dollar, UInt8(ascii: "#"), quote, doubleQuote]
        return value.allSatisfy { (0x20...0x7E).contains($0) && !excluded.contains($0) }
    }

    /// Whether python-dotenv's interpolation pattern `\$\{[^}:]*(?::-[^}]*)?\}` matches
    /// anywhere in `value`.
    package static func containsPythonDotenvVariable(_ value: [UInt8]) -> Bool {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), colon = UInt8(ascii: ":"), dash = UInt8(ascii: "-")
        var start = 0
        while start + 1 < value.count {
            defer { start += 1 }
            guard value[start] == dollar, value[start + 1] == open else { continue }
            var index = start + 2
            while index < value.count, value[index] != close, value[index] != colon { index += 1 }
            guard index < value.count else { continue }
            if value[index] == close { return true }
            guard index + 1 < value.count, value[index + 1] == dash else { continue }
            index += 2
            while index < value.count, value[index] != close { index += 1 }
            if index < value.count { return true }
        }
        return false
    }
}
