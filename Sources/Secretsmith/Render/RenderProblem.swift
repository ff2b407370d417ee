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
        if let reference { parts.append("reference \"\(reference)\"") }
        parts.append(error.description)
        return parts.joined(separator: ": ")
    }
}

/// A render (or check) that found one or more problems. Nothing was written.
///
/// Its kind is the most severe of its problems' kinds; its description lists every
/// problem on its own line.
public struct RenderFailure: SecretsmithError {
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
    var kind: FailureKind { .internalError }
    var description: String { "unexpected error: \(underlying)" }

    static func wrap(_ error: any Error) -> any SecretsmithError {
        if let error = error as? any SecretsmithError { return error }
        return UnexpectedError(underlying: String(describing: type(of: error)))
    }
}
