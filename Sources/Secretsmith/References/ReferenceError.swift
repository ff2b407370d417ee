/// A secret reference (or a JSON pointer in one) is not well formed.
public struct ReferenceError: SecretsmithError, Hashable {
    /// The reference text as written.
    public var reference: String
    /// What is wrong (no trailing period).
    public var message: String
    /// How to fix it, as a sentence.
    public var hint: String?

    public init(reference: String, message: String, hint: String? = nil) {
        self.reference = reference
        self.message = message
        self.hint = hint
    }

    public var kind: FailureKind { .configuration }

    /// `invalid secret reference "text": message` (no hint, no period).
    public var sentence: String { "invalid secret reference \"\(reference)\": \(message)" }

    public var description: String {
        var text = sentence + "."
        if let hint { text += " " + hint }
        return text
    }
}
