import Secretsmith

/// The `serve.policy` rules: which principals may read which `ENV/PROJECT/SECRET`
/// coordinates, and at what rate.
///
/// A principal may read a reference when **any** rule that names one of its names
/// (``Principal/alternativeNames``) allows the reference's coordinates (the union of the
/// matching rules). A principal no rule names may read nothing. The policy is consulted on
/// every request, cache hits included.
///
/// Patterns: in `principals`, `*` matches any run of characters (`kubernetes:payments/*`);
/// in `allow`, each of the three `/`-separated parts is matched on its own and `*` matches
/// any run of characters within it (`prod/billing/*`, `dev/*/*`, `prod/app/db-*`).
package struct AccessPolicy: Sendable {
    /// One compiled rule.
    package struct Rule: Sendable {
        package var principals: [Glob]
        package var allow: [(environment: Glob, project: Glob, secret: Glob)]
        package var rateLimit: ServeConfiguration.RateLimit?

        func matches(_ principal: Principal) -> Bool {
            principal.alternativeNames.contains { name in principals.contains { $0.matches(name) } }
        }

        func allows(environment: String, project: String, secret: String) -> Bool {
            allow.contains { $0.environment.matches(environment) && $0.project.matches(project) && $0.secret.matches(secret) }
        }
    }

    package var rules: [Rule]

    package init(_ rules: [ServeConfiguration.PolicyRule]) {
        self.rules = rules.map { rule in
            Rule(
                principals: rule.principals.map(Glob.init),
                allow: rule.allow.map { pattern in
                    let parts = pattern.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    let padded = parts + Array(repeating: "", count: max(0, 3 - parts.count))
                    return (Glob(padded[0]), Glob(padded[1]), Glob(padded[2]))
                },
                rateLimit: rule.rateLimit)
        }
    }

    /// Whether `principal` may read the secret at these coordinates (environment name,
    /// project alias, secret name as the configuration declares them).
    package func allows(_ principal: Principal, environment: String, project: String, secret: String) -> Bool {
        rules.contains { $0.matches(principal) && $0.allows(environment: environment, project: project, secret: secret) }
    }

    /// Whether some rule naming `principal` allows it anything in `environment`.
    package func allowsSomething(_ principal: Principal, inEnvironment environment: String) -> Bool {
        rules.contains { $0.matches(principal) && $0.allow.contains { $0.environment.matches(environment) } }
    }

    /// The rate limit of `principal`: the most generous limit among the rules that name it
    /// (highest rate, then largest burst); `nil` (no limit) when a rule that names it sets
    /// none, or when no rule names it (it may read nothing then).
    package func rateLimit(for principal: Principal) -> ServeConfiguration.RateLimit? {
        let matching = rules.filter { $0.matches(principal) }
        guard !matching.isEmpty else { return nil }
        var best: ServeConfiguration.RateLimit?
        for rule in matching {
            guard let limit = rule.rateLimit else { return nil }
            if let current = best,
                (current.requestsPerSecond, current.burst) >= (limit.requestsPerSecond, limit.burst)
            {
                continue
            }
            best = limit
        }
        return best
    }
}

/// A pattern where `*` matches any run of characters (none included) and every other
/// character matches itself.
package struct Glob: Sendable, Hashable {
    private let parts: [[UInt8]]
    private let exact: Bool

    package init(_ pattern: String) {
        parts = pattern.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
        exact = parts.count == 1
    }

    /// Whether `text` matches.
    package func matches(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if exact { return bytes == parts[0] }
        let first = parts[0]
        let last = parts[parts.count - 1]
        guard bytes.count >= first.count + last.count, bytes.starts(with: first),
            bytes[(bytes.count - last.count)...].elementsEqual(last)
        else { return false }
        var position = first.count
        let end = bytes.count - last.count
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let found = Self.find(middle, in: bytes, from: position, to: end) else { return false }
            position = found + middle.count
        }
        return true
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int, to end: Int) -> Int? {
        guard end - start >= needle.count else { return nil }
        var index = start
        while index + needle.count <= end {
            if bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
