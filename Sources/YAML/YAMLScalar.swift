/// A scalar of a YAML document: its text exactly as the document spells it, never typed.
///
/// The YAML module does no YAML 1.1 (or 1.2) type resolution: `no`, `on`, `0600` and `3`
/// all stay strings. The consumer types a scalar by the key that holds it.
public struct YAMLScalar: Sendable, Hashable {
    /// How the scalar was written in the document.
    public enum Style: Sendable, Hashable {
        /// An unquoted scalar (`name`).
        case plain
        /// A single-quoted scalar (`'name'`).
        case singleQuoted
        /// A double-quoted scalar (`"name"`), escapes already processed.
        case doubleQuoted
        /// A literal block scalar (`|`).
        case literal
        /// A folded block scalar (`>`).
        case folded
    }

    /// The scalar's value after YAML's quoting, escaping and folding rules (UTF-8 text).
    public var value: String
    /// How the scalar was written.
    public var style: Style

    public init(value: String, style: Style) {
        self.value = value
        self.style = style
    }

    /// Whether this scalar is YAML's null when untagged: an empty plain scalar, `~`,
    /// `null`, `Null` or `NULL` (the YAML 1.2 core schema's spellings).
    public var isNullSpelling: Bool {
        guard style == .plain else { return false }
        switch value {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }
}
