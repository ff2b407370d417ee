/// One problem found while planning, fetching or rendering: where, what, and its kind.
public struct RenderProblem: Sendable, CustomStringConvertible {
    /// Where the problem is, when it belongs to a reference or a template action.
    public var site: ReferenceSite?
    /// The reference as written, when the problem is about one.
    public var reference: String?
    /// The underlying error; its description never holds a secret value.
    public var error: any SecretsmithError

    public init(site: ReferenceSite?, reference: String?, error: any SecretsmithError) {
        self.site = site
        self.reference = reference
        self.error = error
    }

    public var kind: FailureKind { error.kind }

    public var description: String {
        var parts: [String] = []
        if let site { parts.append("\(site)") }
        if let reference { parts.append("reference \(ConfigurationRules.quoted(reference))") }
        parts.append(error.description)
        return parts.joined(separator: ": ")
    }
}

/// A render (or check) that found one or more problems. Nothing was written.
///
/// Its kind is the most severe of its problems' kinds; its description lists every
/// problem on its own line.
public struct RenderFailure: SecretsmithError {
    /// What happened.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case problemsFound = "PROBLEMS_FOUND"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// One or more problems were found; each is in ``problems`` with its own error and code.
        public static let problemsFound = Code(.problemsFound)
    }

    /// What happened; the causes are the ``problems``' errors.
    public var code: Code { .problemsFound }
    /// The shortDescription of the only problem's error, else `PROBLEMS_FOUND`.
    public var shortDescription: String {
        problems.count == 1 ? problems[0].error.shortDescription : code.description
    }
    /// The only problem's error, when there is exactly one.
    public var underlyingError: (any Error)? { problems.count == 1 ? problems[0].error : nil }

    /// Every problem, in the order of the outputs and references.
    public var problems: [RenderProblem]

    public init(problems: [RenderProblem]) {
        self.problems = problems
    }

    public var kind: FailureKind {
        problems.map(\.kind).max(by: { $0.severity < $1.severity }) ?? .internalError
    }

    /// One line per problem (`FILE:LINE:COLUMN: error: output NAME, reference "REF":
    /// MESSAGE`), except that a cause shared by several problems is given once, followed
    /// by one line per place it affects (see ``CheckProblem/lines(_:unlocatedPrefix:)``).
    public var description: String {
        let lines = CheckProblem.lines(problems.map { CheckProblem($0) })
        if lines.count == 1 { return lines[0] }
        return "\(problems.count) problems:\n" + lines.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Wraps an error of any type as a `SecretsmithError` (kind internal error) so it can be
/// reported with the others.
struct UnexpectedError: SecretsmithError {
    var underlying: String
    var underlyingError: (any Error)? = nil
    var kind: FailureKind { .internalError }
    var shortDescription: String { "UNEXPECTED" }
    var description: String { "Unexpected error: \(underlying)." }

    static func wrap(_ error: any Error) -> any SecretsmithError {
        if let error = error as? any SecretsmithError { return error }
        return UnexpectedError(underlying: String(describing: type(of: error)), underlyingError: error)
    }
}
