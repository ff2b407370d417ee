/// A YAML document could not be read: a syntax error (with libyaml's own problem text),
/// a duplicate key, an undefined alias, a broken limit, or bytes that are not UTF-8.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name as given to the parser (used only in messages).
    public var file: String
    /// Where the problem is (1-based), when known.
    public var mark: Mark?
    /// What is wrong, without the file and position.
    public var message: String

    public init(file: String, mark: Mark?, message: String) {
        self.file = file
        self.mark = mark
        self.message = message
    }

    /// `file:line:column: message` (or `file: message` without a position).
    public var description: String {
        if let mark { return "\(file):\(mark): \(message)" }
        return "\(file): \(message)"
    }
}
