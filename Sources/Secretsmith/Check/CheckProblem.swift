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
    /// The part of `message` that does not depend on the reference (a Secret Manager
    /// error without its resource name), printed once for every problem it explains;
    /// `nil` when it is the whole message.
    package var cause: String?
    /// What problems with one cause share (``causes(_:)``); `nil`: `cause ?? message`.
    package var causeKey: String?

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
        var output = problem.site?.output
        var error = problem.error
        if let wrapped = error as? OutputProblem {
            output = output ?? wrapped.output
            error = wrapped.underlying
        }
        var message = error.description
        switch error {
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
            output: output, key: problem.site?.key, reference: problem.reference, resource: resource,
            message: message)
        if let error = error as? SecretManagerError {
            // Every reference behind one unreachable endpoint, one open breaker, one
            // denied permission gets the same answer but for the resource name.
            var cause = error.code.rawValue
            if let status = error.httpStatus { cause += " (HTTP \(status))" }
            cause += ": " + error.message
            if error.code == .failedPrecondition,
               let advice = VersionStateError.advice(forServerMessage: error.message, resource: error.resource)
            {
                // Reading a version that is not ENABLED: say what to do, as check does.
                cause += " " + advice
                self.message += " " + advice
            }
            self.cause = cause
            self.resource = self.resource ?? error.resource
            if error.code == .circuitOpen {
                // One breaker per project: its message (the time left until a trial call)
                // differs from call to call, the cause does not.
                let project = error.resource.split(separator: "/").prefix(2).joined(separator: "/")
                causeKey = "CIRCUIT_OPEN " + project
            }
        }
    }

    /// `FILE:LINE:COLUMN` (or `FILE:LINE`, or `FILE`), when the problem has a file.
    public var location: String? {
        guard let file else { return nil }
        var location = file
        // Line 0: a configuration built in code has no positions; its name stands alone.
        if let line, line > 0 {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return location
    }

    /// `output NAME, key KEY, reference "REF"` (whichever are known), or `nil`.
    public var subject: String? {
        var subject: [String] = []
        if let output { subject.append("output \(output)") }
        if let key { subject.append("key \(key)") }
        if let reference { subject.append("reference \(Self.quoted(reference))") }
        return subject.isEmpty ? nil : subject.joined(separator: ", ")
    }

    /// One line for the terminal, in the form compilers use so that editors' problem
    /// matchers find it: `FILE:LINE:COLUMN: error: output NAME, key KEY, reference "REF":
    /// MESSAGE`; without a file, `error: ...` after `unlocatedPrefix`. Control characters
    /// (a newline or NUL in a reference) are escaped, so a problem is always one line.
    public func line(unlocatedPrefix: String = "") -> String {
        var parts: [String] = []
        parts.append((location.map { Self.escaped($0) + ": " } ?? unlocatedPrefix) + severity.rawValue)
        if let subject { parts.append(subject) }
        parts.append(Self.escaped(message))
        return parts.joined(separator: ": ")
    }

    /// ``line(unlocatedPrefix:)`` without a prefix.
    public var text: String { line() }

    /// The lines for a list of problems, one cause printed once: problems with the same
    /// severity, kind and message (an unreachable endpoint, missing credentials, an open
    /// circuit breaker behind every reference) give the message once, then one line per
    /// place it affects (`FILE:LINE:COLUMN: error: output NAME, reference "REF": ...`); a
    /// reference repeated in a template is listed once, with the number of other places.
    /// Other problems give one line each, in order of first appearance.
    public static func lines(_ problems: [CheckProblem], unlocatedPrefix: String = "") -> [String] {
        var lines: [String] = []
        for group in causes(problems) {
            let members = group.map { problems[$0] }
            let first = members[0]
            if members.count == 1 {
                lines.append(first.line(unlocatedPrefix: unlocatedPrefix))
                continue
            }
            let places = members.filter { $0.location != nil || $0.subject != nil }
            let count = places.isEmpty ? "" : " (\(places.count) places)"
            let cause = first.cause ?? first.message
            lines.append("\(unlocatedPrefix)\(first.severity.rawValue): \(escaped(cause))\(count)")
            // A reference repeated in a template is listed once, at its first place.
            struct Subject: Hashable {
                var output: String?
                var key: String?
                var reference: String?
                var resource: String?
            }
            var entries: [(place: CheckProblem, more: Int)] = []
            var index: [Subject: Int] = [:]
            for place in places {
                if place.reference != nil || place.key != nil {
                    let subject = Subject(
                        output: place.output, key: place.key, reference: place.reference, resource: place.resource)
                    if let seen = index[subject] {
                        entries[seen].more += 1
                        continue
                    }
                    index[subject] = entries.count
                }
                entries.append((place, 0))
            }
            for (place, more) in entries {
                let start = (place.location.map { escaped($0) + ": " } ?? unlocatedPrefix) + place.severity.rawValue
                var what = place.subject ?? ""
                if more > 0 { what += " (and \(more) more place\(more == 1 ? "" : "s"))" }
                if !what.isEmpty { what += ": " }
                if place.cause != nil, let resource = place.resource { what += resource + ": " }
                lines.append("\(start): \(what)the \(place.severity.rawValue) above")
            }
        }
        return lines
    }

    /// The problems grouped by cause (same severity, kind and message, a Secret Manager
    /// error's resource name aside), each group as
    /// indices into `problems`, groups in order of first appearance.
    public static func causes(_ problems: [CheckProblem]) -> [[Int]] {
        struct Cause: Hashable {
            var severity: Severity
            var kind: FailureKind?
            var message: String
        }
        var order: [Cause] = []
        var groups: [Cause: [Int]] = [:]
        for (index, problem) in problems.enumerated() {
            let cause = Cause(
                severity: problem.severity, kind: problem.kind,
                message: problem.causeKey ?? problem.cause ?? problem.message)
            if groups[cause] == nil { order.append(cause) }
            groups[cause, default: []].append(index)
        }
        return order.map { groups[$0]! }
    }

    /// Text with every control character (newline, tab, NUL, DEL, C1, the Unicode line
    /// and paragraph separators) written as an escape (`\n`, `\t`, `\0`, `\u{7F}`), so a
    /// message stays on one line and shows what was written. For reading, not parsing back.
    package static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\0": result += "\\0"
            case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `"text"` with control characters escaped (see ``escaped(_:)``).
    package static func quoted(_ text: String) -> String { "\"\(escaped(text))\"" }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
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
