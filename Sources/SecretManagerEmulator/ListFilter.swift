/// The `filter` of a list call, the subset of Secret Manager's filter syntax
/// (<https://cloud.google.com/secret-manager/docs/filtering>) that matters for tests:
///
/// - terms `FIELD:VALUE` (has: case-insensitive substring; a trailing `*` is allowed),
///   `FIELD=VALUE` and `FIELD!=VALUE` (case-insensitive equality);
/// - a value list `FIELD:(A OR B)`; quoted values `"…"`;
/// - `NOT TERM` or `-TERM`; terms joined by whitespace or `AND`, conjunctions by `OR`.
///
/// Examples: `state:ENABLED`, `NOT state:DESTROYED`, `state:(ENABLED OR DISABLED)`,
/// `name:db-`.
struct ListFilter: Sendable {
    private struct Term: Sendable {
        enum Operator: Sendable { case has, equal, notEqual }
        var negated: Bool
        var field: String
        var op: Operator
        var values: [String]
    }

    /// Conjunctions joined by OR.
    private var alternatives: [[Term]]

    /// Parses a filter.
    ///
    /// - Parameters:
    ///   - text: The filter; empty or blank matches everything.
    ///   - fields: The field names the listed resources have.
    /// - Throws: ``GoogleAPIError`` INVALID_ARGUMENT for a syntax error or an unknown field.
    init(_ text: String, fields: Set<String>) throws(GoogleAPIError) {
        alternatives = [[]]
        var negateNext = false
        for token in Self.tokens(text) {
            switch token {
            case "AND": continue
            case "OR":
                guard !alternatives[alternatives.count - 1].isEmpty, !negateNext else {
                    throw .invalidArgument("Invalid filter [\(text)]: OR needs a term on both sides.")
                }
                alternatives.append([])
            case "NOT":
                negateNext = true
            default:
                var term = try Self.term(token, filter: text, fields: fields)
                term.negated = term.negated != negateNext
                negateNext = false
                alternatives[alternatives.count - 1].append(term)
            }
        }
        if negateNext || (alternatives.count > 1 && alternatives.last?.isEmpty == true) {
            throw .invalidArgument("Invalid filter [\(text)]: it ends with an operator.")
        }
    }

    /// Whether a resource whose fields have these values matches.
    ///
    /// - Parameter value: The value of a field name, e.g. `state` → `ENABLED`.
    func matches(_ value: (String) -> String) -> Bool {
        alternatives.contains { terms in
            terms.allSatisfy { term in
                let actual = value(term.field).lowercased()
                let hit = term.values.contains { wanted in
                    switch term.op {
                    case .has: actual.contains(wanted)
                    case .equal: actual == wanted
                    case .notEqual: actual != wanted
                    }
                }
                return hit != term.negated
            }
        }
    }

    private static func term(_ token: String, filter: String, fields: Set<String>) throws(GoogleAPIError) -> Term {
        var rest = Substring(token)
        var negated = false
        if rest.hasPrefix("-") {
            negated = true
            rest = rest.dropFirst()
        }
        guard let opIndex = rest.firstIndex(where: { $0 == ":" || $0 == "=" || $0 == "!" }) else {
            throw .invalidArgument("Invalid filter [\(filter)]: `\(token)` is not FIELD:VALUE.")
        }
        let field = String(rest[..<opIndex])
        var op = Term.Operator.has
        var valueText = rest[rest.index(after: opIndex)...]
        if rest[opIndex] == "=" {
            op = .equal
        } else if rest[opIndex] == "!" {
            guard valueText.hasPrefix("=") else {
                throw .invalidArgument("Invalid filter [\(filter)]: `\(token)` is not FIELD!=VALUE.")
            }
            op = .notEqual
            valueText = valueText.dropFirst()
        }
        guard fields.contains(field) else {
            let known = fields.sorted().joined(separator: ", ")
            throw .invalidArgument("Invalid filter [\(filter)]: unknown field `\(field)`; expected \(known).")
        }
        var values: [String]
        if valueText.hasPrefix("("), valueText.hasSuffix(")") {
            values = tokens(String(valueText.dropFirst().dropLast())).filter { $0 != "OR" }
        } else {
            values = [String(valueText)]
        }
        values = values.map { value in
            var value = Substring(value)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = value.dropFirst().dropLast()
            }
            if op == .has, value.hasSuffix("*") { value = value.dropLast() }
            return value.lowercased()
        }
        guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) || op != .has else {
            throw .invalidArgument("Invalid filter [\(filter)]: `\(token)` has no value.")
        }
        return Term(negated: negated, field: field, op: op, values: values)
    }

    /// Splits at whitespace outside quotes and parentheses.
    private static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        var quoted = false
        for character in text {
            if character == "\"" { quoted.toggle() }
            if !quoted, character == "(" { depth += 1 }
            if !quoted, character == ")" { depth = max(0, depth - 1) }
            if character.isWhitespace, depth == 0, !quoted {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}
