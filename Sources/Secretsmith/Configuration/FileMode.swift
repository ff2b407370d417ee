/// The permission bits of an output file, written in the configuration as a string of
/// octal digits (`"0600"`, `"640"`).
public struct FileMode: Sendable, Hashable, CustomStringConvertible {
    /// The permission bits (`0o000`...`0o777`); never setuid, setgid or sticky.
    public let rawValue: UInt32

    /// `0600`: read and write for the owner only (the built-in default).
    public static let ownerReadWrite = FileMode(checkedRawValue: 0o600)

    /// A mode from permission bits; `nil` for bits outside `0o777`.
    public init?(rawValue: UInt32) {
        guard rawValue & ~0o777 == 0 else { return nil }
        self.rawValue = rawValue
    }

    private init(checkedRawValue: UInt32) {
        self.rawValue = checkedRawValue
    }

    /// Parses three or four octal digits (`"640"`, `"0600"`); a four-digit mode must
    /// start with `0` (setuid, setgid and sticky bits are refused). Always octal, with
    /// or without the leading zero.
    ///
    /// - Throws: `ConfigurationError` (without file or position) for anything else.
    public init(parsing text: String) throws(ConfigurationError) {
        let digits = Array(text.utf8)
        guard digits.count == 3 || digits.count == 4,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") })
        else {
            throw ConfigurationError(
                message: "file mode \(ConfigurationRules.quoted(text)) is not three or four octal digits",
                hint: "Write a quoted octal mode such as \"0600\" or \"0640\"."
            )
        }
        var value: UInt32 = 0
        for digit in digits { value = value * 8 + UInt32(digit - UInt8(ascii: "0")) }
        guard value & ~0o777 == 0 else {
            throw ConfigurationError(
                message: "file mode \(ConfigurationRules.quoted(text)) sets setuid, setgid or sticky bits, which outputs never need",
                hint: "Start a four-digit mode with 0, as in \"0640\"."
            )
        }
        self.rawValue = value
    }

    /// Whether the mode grants any access (read, write or execute) to others.
    public var grantsAccessToOthers: Bool { rawValue & 0o007 != 0 }

    /// Four octal digits, such as `0600`.
    public var description: String {
        let octal = String(rawValue, radix: 8)
        return String(repeating: "0", count: max(0, 4 - octal.count)) + octal
    }
}
