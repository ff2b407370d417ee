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

    /// `file:line:column (output NAME, key KEY)`; without the position for an output built
    /// in code (line 0), where `file` is the configuration's name.
    public var description: String {
        var text = mark.line > 0 ? "\(file):\(mark.line):\(mark.column) (output \(output)" : "\(file) (output \(output)"
        if let key { text += ", key \(key)" }
        return text + ")"
    }
}
