extension FaultRule {
    /// Parses the compact text form, for command-line flags:
    /// `KIND[:ARGUMENT][,KEY=VALUE]…`.
    ///
    /// Kinds: `latency:MS[+JITTER_MS]` (MS + JITTER_MS at most 86,400,000, a day), `error[:HTTP[/STATUS]]` (default 503),
    /// `quota[:RETRY_AFTER_SECONDS]` (429 RESOURCE_EXHAUSTED, default 1 s), `drop`,
    /// `stall:SECONDS` (at most 86,400), `checksum`. Keys: `method=` (an ``EmulatorMethod`` name),
    /// `resource=` (substring or glob), `rate=` (0…1), `count=` (first N matches only).
    ///
    /// Examples: `error:503,count=2`, `latency:200+50,method=access`,
    /// `quota:3,rate=0.5`, `drop,resource=*/db-password/*`.
    ///
    /// - Throws: ``FaultRuleSyntaxError`` naming the part that is wrong.
    public init(parsing text: String) throws(FaultRuleSyntaxError) {
        var parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let head = parts.removeFirst()
        let (name, argument) = Self.split(head, at: ":")
        let kind: Kind
        switch name {
        case "latency":
            let (base, jitter) = Self.split(argument ?? "", at: "+")
            guard let milliseconds = Int(base), milliseconds >= 0 else {
                throw FaultRuleSyntaxError(text: text, problem: "`latency` needs milliseconds, like latency:200 or latency:200+50")
            }
            let jitterValue = try jitter.map { value throws(FaultRuleSyntaxError) in
                guard let parsed = Int(value), parsed >= 0 else {
                    throw FaultRuleSyntaxError(text: text, problem: "the jitter after `+` must be whole milliseconds")
                }
                return parsed
            }
            kind = .latency(milliseconds: milliseconds, jitterMilliseconds: jitterValue ?? 0)
        case "error":
            let (codeText, status) = Self.split(argument ?? "503", at: "/")
            guard let code = Int(codeText), (400...599).contains(code) else {
                throw FaultRuleSyntaxError(text: text, problem: "`error` takes an HTTP status 400…599, like error:503 or error:504/DEADLINE_EXCEEDED")
            }
            kind = .error(httpStatus: code, status: status)
        case "quota", "resourceExhausted", "429":
            guard let seconds = Int(argument ?? "1"), seconds >= 0 else {
                throw FaultRuleSyntaxError(text: text, problem: "`quota` takes Retry-After seconds, like quota:2")
            }
            kind = .resourceExhausted(retryAfterSeconds: seconds)
        case "drop" where argument == nil:
            kind = .dropConnection
        case "stall":
            guard let seconds = argument.flatMap(Double.init), seconds >= 0 else {
                throw FaultRuleSyntaxError(text: text, problem: "`stall` needs seconds, like stall:30")
            }
            kind = .stall(seconds: seconds)
        case "checksum" where argument == nil, "wrongChecksum" where argument == nil:
            kind = .wrongChecksum
        default:
            throw FaultRuleSyntaxError(
                text: text, problem: "unknown fault `\(head)`; expected latency:MS, error:HTTP, quota:SECONDS, drop, stall:SECONDS or checksum")
        }
        self.init(kind)
        for part in parts {
            let (key, value) = Self.split(part, at: "=")
            guard let value, !value.isEmpty else {
                throw FaultRuleSyntaxError(text: text, problem: "`\(part)` is not KEY=VALUE")
            }
            switch key {
            case "method":
                guard let parsed = EmulatorMethod(rawValue: value) else {
                    let names = EmulatorMethod.allCases.map(\.rawValue).joined(separator: ", ")
                    throw FaultRuleSyntaxError(text: text, problem: "unknown method `\(value)`; expected one of \(names)")
                }
                method = parsed
            case "resource":
                resource = value
            case "rate":
                guard let parsed = Double(value) else {
                    throw FaultRuleSyntaxError(text: text, problem: "`rate` must be a number between 0 and 1")
                }
                rate = parsed
            case "count":
                guard let parsed = Int(value) else {
                    throw FaultRuleSyntaxError(text: text, problem: "`count` must be a whole number")
                }
                count = parsed
            default:
                throw FaultRuleSyntaxError(text: text, problem: "unknown key `\(key)`; expected method, resource, rate or count")
            }
        }
        if let problem = validationProblem {
            throw FaultRuleSyntaxError(text: text, problem: problem)
        }
    }

    /// Splits at the first `separator`: the part before, and the part after if any.
    private static func split(_ text: String, at separator: Character) -> (String, String?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }
}
