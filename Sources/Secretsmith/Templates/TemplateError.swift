import YAML

/// A template that cannot be parsed or rendered: a near-miss action, an unknown filter,
/// a bad argument, an unset environment variable, or a value a filter cannot take.
///
/// The description has the form `PATH:LINE:COLUMN: MESSAGE HINT`, where the position is
/// that of the action's opening `<<` (1-based; columns count Unicode scalars, see
/// ``Template``). Neither the message nor the hint ever contains a secret value or the
/// value of an environment variable; they name references, variables, filters and byte
/// offsets only.
public struct TemplateError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidTemplate = "INVALID_TEMPLATE"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The template cannot be parsed, or an action cannot be rendered.
        public static let invalidTemplate = Code(.invalidTemplate)
    }

    /// What is wrong.
    public let code: Code
    public var shortDescription: String { code.description }

    /// The template's path, as given to ``Template/parse(_:path:)``.
    public let path: String
    /// The 1-based line and column of the action's opening `<<`.
    public let mark: Mark
    /// What is wrong, as a sentence.
    public let message: String
    /// A sentence suggesting a fix (often "Did you mean `secret`?"), if there is one.
    public let hint: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - path: The template's path.
    ///   - mark: The 1-based position of the action's `<<`.
    ///   - message: What is wrong, as a sentence without any secret value.
    ///   - hint: An optional sentence suggesting a fix.
    ///   - code: What is wrong, ``Code/invalidTemplate`` unless said otherwise.
    public init(path: String, mark: Mark, message: String, hint: String? = nil, code: Code = .invalidTemplate) {
        self.code = code
        self.path = path
        self.mark = mark
        self.message = message
        self.hint = hint
    }

    /// Always ``FailureKind/configuration`` (exit status 65).
    public var kind: FailureKind { .configuration }

    /// `PATH:LINE:COLUMN: MESSAGE` followed by the hint, if any.
    public var description: String {
        var text = "\(path):\(mark.line):\(mark.column): \(message)"
        if let hint {
            text += " " + hint
        }
        return text
    }
}
