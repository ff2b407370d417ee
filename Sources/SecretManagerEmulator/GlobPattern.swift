/// A resource pattern of a fault rule: a glob when it contains `*` or `?` (matched
/// against the whole name, `*` crossing `/`), otherwise a substring.
struct GlobPattern: Sendable, Equatable {
    /// The pattern text.
    let pattern: String

    init(_ pattern: String) {
        self.pattern = pattern
    }

    /// Whether `name` matches.
    func matches(_ name: String) -> Bool {
        guard pattern.contains("*") || pattern.contains("?") else {
            return name.contains(pattern)
        }
        return Self.glob(Array(pattern.unicodeScalars), Array(name.unicodeScalars))
    }

    /// Iterative wildcard matching with one backtrack point (linear in practice).
    private static func glob(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
        var p = 0, t = 0
        var star: Int? = nil, starText = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                starText = t
                p += 1
            } else if let star {
                p = star + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
