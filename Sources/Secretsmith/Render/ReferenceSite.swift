import YAML

/// Where a reference is written: a template action or an output's `values:` entry.
/// Error messages start with it, so editors can jump to the place.
public struct ReferenceSite: Sendable, Hashable, CustomStringConvertible {
    /// The file the reference is written in (a template or the configuration file).
    public var file: String
    /// The 1-based position of the template action or of the `values:` entry.
    public var mark: Mark
    /// The output that uses the reference.
    public var output: String
    /// The `values:` key, for non-template outputs.
    public var key: String?

    public init(file: String, mark: Mark, output: String, key: String?) {
        self.file = file
        self.mark = mark
        self.output = output
        self.key = key
    }

    /// `file:line:column (output NAME, key KEY)`.
    public var description: String {
        var text = "\(file):\(mark.line):\(mark.column) (output \(output)"
        if let key { text += ", key \(key)" }
        return text + ")"
    }
}
