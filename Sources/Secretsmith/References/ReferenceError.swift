/// A secret reference (or a JSON pointer in one) is not well formed.
public struct ReferenceError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidReference = "INVALID_REFERENCE"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The reference does not follow `[ENV/]PROJECT/SECRET[@VERSION][#POINTER]`.
        public static let invalidReference = Code(.invalidReference)
    }

    /// What is wrong.
    public var code: Code = .invalidReference
    public var shortDescription: String { code.description }

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

    /// `Invalid secret reference "text": message` (no hint, no period).
    public var sentence: String { "Invalid secret reference \(ConfigurationRules.quoted(reference)): \(message)" }

    public var description: String {
        var text = sentence + "."
        if let hint { text += " " + hint }
        return text
    }
}
