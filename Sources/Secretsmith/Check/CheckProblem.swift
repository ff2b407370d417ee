/// One finding of `secretsmith check`: where, which reference, what is wrong, how bad.
///
/// Messages come from error descriptions, which never hold a secret value.
public struct CheckProblem: Sendable, Hashable, Encodable {
    /// `error` findings decide the exit status; `warning` findings (drift that does not
    /// break a frozen deploy) are reported only.
    public enum Severity: String, Sendable, Hashable, Encodable {
        case error
        case warning
    }

    public var severity: Severity
    /// The failure kind of an error (which exit code it stands for); `nil` for warnings.
    public var kind: FailureKind?
    /// The file the problem is in (a template or the configuration file), when known.
    public var file: String?
    /// The 1-based line, when known.
    public var line: Int?
    /// The 1-based column, when known.
    public var column: Int?
    /// The output the problem belongs to, when it belongs to one.
    public var output: String?
    /// The `values:` key, for non-template outputs.
    public var key: String?
    /// The reference as written, when the problem is about one.
    public var reference: String?
    /// The version resource the reference resolved to, when it resolved.
    public var resource: String?
    /// What is wrong, without the position (which the fields above carry).
    public var message: String

    public init(
        severity: Severity, kind: FailureKind?, file: String? = nil, line: Int? = nil, column: Int? = nil,
        output: String? = nil, key: String? = nil, reference: String? = nil, resource: String? = nil, message: String
    ) {
        self.severity = severity
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.output = output
        self.key = key
        self.reference = reference
        self.resource = resource
        self.message = message
    }

    /// An error finding from a planning, fetching or rendering problem, its position taken
    /// from the reference site or from the error itself (template and configuration errors
    /// carry theirs).
    package init(_ problem: RenderProblem, resource: String? = nil) {
        var file = problem.site?.file
        var mark = problem.site?.mark
        var message = problem.error.description
        switch problem.error {
        case let error as TemplateError:
            file = error.path
            mark = error.mark
            message = error.message + (error.hint.map { " " + $0 } ?? "")
        case let error as ConfigurationError:
            file = file ?? error.file
            mark = mark ?? error.mark
            var bare = error
            bare.file = nil
            bare.mark = nil
            message = bare.description
        default:
            break
        }
        self.init(
            severity: .error, kind: problem.kind, file: file, line: mark?.line, column: mark?.column,
            output: problem.site?.output, key: problem.site?.key, reference: problem.reference, resource: resource,
            message: message)
    }

    /// One line for the terminal:
    /// `FILE:LINE:COLUMN: error: output NAME, key KEY, reference "REF": MESSAGE`.
    public var text: String {
        var parts: [String] = []
        if let file {
            var location = file
            if let line { location += ":\(line)" }
            if let column { location += ":\(column)" }
            parts.append(location)
        }
        parts.append(severity.rawValue)
        var subject: [String] = []
        if let output { subject.append("output \(output)") }
        if let key { subject.append("key \(key)") }
        if let reference { subject.append("reference \"\(reference)\"") }
        if !subject.isEmpty { parts.append(subject.joined(separator: ", ")) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    enum CodingKeys: String, CodingKey {
        case severity, kind, exitCode = "exit_code", file, line, column, output, key, reference, resource, message
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(severity, forKey: .severity)
        try container.encodeIfPresent(kind?.description, forKey: .kind)
        try container.encodeIfPresent(kind?.exitCode, forKey: .exitCode)
        try container.encodeIfPresent(file, forKey: .file)
        try container.encodeIfPresent(line, forKey: .line)
        try container.encodeIfPresent(column, forKey: .column)
        try container.encodeIfPresent(output, forKey: .output)
        try container.encodeIfPresent(key, forKey: .key)
        try container.encodeIfPresent(reference, forKey: .reference)
        try container.encodeIfPresent(resource, forKey: .resource)
        try container.encode(message, forKey: .message)
    }
}
