/// An RFC 6901 JSON Pointer (`/db/password`, `/servers/0/host`), in its plain string form.
///
/// Source: RFC 6901 <https://www.rfc-editor.org/rfc/rfc6901>. `~1` stands for `/` and `~0`
/// for `~` inside a token; an array index is `0` or a number without leading zeros; `-`
/// (the element after the last) never names an existing value and is refused.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The reference tokens, unescaped. Empty for the whole document.
    public let tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses a pointer: `""` (the whole document) or `/`-prefixed tokens.
    ///
    /// - Throws: `ReferenceError` (its `reference` is the pointer text) when the text does
    ///   not start with `/`, or a `~` is not followed by `0` or `1`.
    public init(parsing text: String) throws(ReferenceError) {
        guard !text.isEmpty else {
            tokens = []
            return
        }
        // Unicode scalars, not Characters: a combining mark after a `/` or `~` must not hide
        // it (RFC 6901 works on code points).
        guard text.unicodeScalars.first == "/" else {
            throw ReferenceError(
                reference: text, message: "the JSON pointer \(ConfigurationRules.quoted(text)) does not start with '/'",
                hint: "Write #/key/subkey (RFC 6901)."
            )
        }
        var tokens: [String] = []
        for raw in text.unicodeScalars.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = String.UnicodeScalarView()
            var iterator = raw.makeIterator()
            while let scalar = iterator.next() {
                guard scalar == "~" else {
                    token.append(scalar)
                    continue
                }
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default:
                    throw ReferenceError(
                        reference: text, message: "the JSON pointer \(ConfigurationRules.quoted(text)) has a '~' not followed by 0 or 1",
                        hint: "Write ~0 for '~' and ~1 for '/' (RFC 6901)."
                    )
                }
            }
            tokens.append(String(token))
        }
        self.tokens = tokens
    }

    /// The pointer text, with `~` and `/` in tokens escaped again (`/a~1b/c`).
    public var description: String {
        var text = String.UnicodeScalarView()
        for token in tokens {
            text.append("/")
            for scalar in token.unicodeScalars {
                switch scalar {
                case "~": text.append(contentsOf: "~0".unicodeScalars)
                case "/": text.append(contentsOf: "~1".unicodeScalars)
                default: text.append(scalar)
                }
            }
        }
        return String(text)
    }

    /// The bytes of the value the pointer names in a JSON payload.
    ///
    /// - Parameter payload: a JSON text (RFC 8259, UTF-8; a leading byte order mark is skipped).
    /// - Returns: a string's content as UTF-8 bytes (escapes decoded, no quotes); for any
    ///   other value its compact JSON text (the payload's own spelling without whitespace).
    /// - Throws: `JSONPointerError` when the payload is not JSON, a member or index does
    ///   not exist, a token meets a string, number, boolean or null, an index is malformed,
    ///   or an object has the member more than once. Messages never quote payload content.
    public func evaluate(in payload: [UInt8]) throws(JSONPointerError) -> [UInt8] {
        try select(in: payload).bytes
    }

    /// What a pointer selected: the bytes ``evaluate(in:)`` returns, and whether they are a
    /// string's content (`isString`) or the compact JSON text of a number, boolean, null,
    /// object or array (which a JSON output writes as JSON, keeping its type).
    public struct Selection: Sendable, Hashable {
        public var bytes: [UInt8]
        public var isString: Bool
    }

    /// The value the pointer names in a JSON payload, with its JSON type.
    ///
    /// - Throws: what ``evaluate(in:)`` throws.
    public func select(in payload: [UInt8]) throws(JSONPointerError) -> Selection {
        let pointerText = description
        let document: JSONValue
        do throws(JSONValue.SyntaxError) {
            document = try JSONValue.parse(payload)
        } catch {
            throw JSONPointerError(
                pointer: pointerText,
                message: "the secret's payload is not valid JSON (\(error.reason) at byte \(error.offset))"
            )
        }
        var current = document
        var reached = ""
        for token in tokens {
            let escaped = JSONPointer(tokens: [token]).description
            switch current.kind {
            case .object(let keys, let values):
                let matches = keys.indices.filter { keys[$0] == token }
                guard let match = matches.first else {
                    throw JSONPointerError(pointer: pointerText, message: "the payload has no member \"\(token)\" at \(Self.where(reached))")
                }
                guard matches.count == 1 else {
                    throw JSONPointerError(
                        pointer: pointerText,
                        message: "the object at \(Self.where(reached)) has the member \"\(token)\" more than once"
                    )
                }
                current = values[match]
            case .array(let elements):
                guard let index = Self.arrayIndex(token) else {
                    let why = token == "-"
                        ? "\"-\" names the element after the last, which never exists"
                        : "\"\(token)\" is not an array index (0, or a number without leading zeros)"
                    throw JSONPointerError(pointer: pointerText, message: "the value at \(Self.where(reached)) is an array and \(why)")
                }
                guard index < elements.count else {
                    throw JSONPointerError(pointer: pointerText, message: "the array at \(Self.where(reached)) has no element \(index)")
                }
                current = elements[index]
            default:
                throw JSONPointerError(
                    pointer: pointerText,
                    message: "the value at \(Self.where(reached)) is \(current.kindName), which has no member \"\(token)\""
                )
            }
            reached += escaped
        }
        if case .string(let text) = current.kind { return Selection(bytes: Array(text.utf8), isString: true) }
        return Selection(bytes: JSONValue.compact(payload[current.range]), isString: false)
    }

    private static func `where`(_ reached: String) -> String {
        reached.isEmpty ? "the top level" : "\"\(reached)\""
    }

    private static func arrayIndex(_ token: String) -> Int? {
        let digits = Array(token.utf8)
        guard let first = digits.first, digits.count <= 18,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              first != UInt8(ascii: "0") || digits.count == 1
        else { return nil }
        return Int(token)
    }
}
