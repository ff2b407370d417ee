/// Parsing of keyword actions: `<< secret "REF" | filter ... >>`, `<< env "NAME" ... >>`.
///
/// Grammar, with blanks (spaces, tabs) allowed between tokens and everything on one line:
///
///     action  = "<<" keyword argument { "|" filter } ">>"
///     keyword = "secret" | "env"
///     argument = '"' { any byte but '"', '\' and newline | '\"' | '\\' } '"'
///     filter  = "json" | "base64" | "base64decode" | "trim" | "trimnl"
///             | "indent" digits | "shell" | "urlquery"
///
/// The action ends at the first `>>` outside the quoted string.
extension TemplateParser {
    /// Parses the action whose `<<` is at `start` after its keyword has been read.
    ///
    /// - Parameters:
    ///   - keyword: `secret` or `env`.
    ///   - start: The offset of the `<<`.
    ///   - argumentSearch: The offset just past the keyword.
    mutating func parseKeywordAction(keyword: String, start: Int, argumentSearch: Int) -> Outcome {
        var index = skipBlanks(from: argumentSearch)
        guard index < buffer.count, buffer[index] == Self.quote else {
            // `std::cout << secret << '\n';`: no quoted argument and no `>>` is not an action.
            guard closeOnLine(from: index) != nil else { return .passThrough }
            return .failure(missingArgumentError(keyword: keyword, start: start, at: index))
        }
        guard let string = scanString(at: index) else {
            return .failure(error(
                at: start,
                "The quoted string of this `\(keyword)` action has no closing `\"` on its line.",
                hint: #"Escape a `"` inside a string as `\"` and a backslash as `\\`."#))
        }
        if let escape = string.badEscape {
            return .failure(badEscapeError(at: escape, actionStart: start))
        }
        let source: TemplateAction.Source
        switch validatedSource(keyword: keyword, argument: string.content, start: start) {
        case .success(let valid): source = valid
        case .failure(let error): return .failure(error)
        }
        index = string.end
        var filters: [TemplateFilter] = []
        while true {
            index = skipBlanks(from: index)
            if isClose(at: index) { break }
            // A lone `>` with no `>>` after it on the line is a closing `>>` cut short.
            if isLineEnd(at: index) || (buffer[index] == Self.greaterThan && closeOnLine(from: index) == nil) {
                return .failure(error(
                    at: start,
                    "The `\(keyword)` action has no closing `>>` on its line.",
                    hint: #"End it with `>>`; write << "<<" >> for a literal `<<`."#))
            }
            guard buffer[index] == Self.pipe else {
                return .failure(unexpectedTokenError(at: index, keyword: keyword, start: start, after: filters.last))
            }
            index = skipBlanks(from: index + 1)
            let nameEnd = wordEnd(from: index)
            guard nameEnd > index else {
                return .failure(error(at: start, "Expected a filter name after `|`.", hint: Self.filterList))
            }
            let name = text(index..<nameEnd)
            index = nameEnd
            if name == "indent" {
                switch indentCount(from: index, start: start) {
                case .success(let (count, end)):
                    filters.append(.indent(count))
                    index = end
                case .failure(let error):
                    return .failure(error)
                }
            } else if let filter = TemplateFilter(argumentlessName: name) {
                filters.append(filter)
            } else {
                let suggestion = TemplateSuggestion.closest(
                    to: name, among: TemplateFilter.names, aliases: TemplateFilter.aliases)
                return .failure(error(
                    at: start, "Unknown filter `\(name)`.",
                    hint: suggestion.map { "Did you mean `\($0)`?" } ?? Self.filterList))
            }
        }
        return .action(source, filters: filters, end: index + 2)
    }

    static var filterList: String {
        "Filters are json, base64, base64decode, trim, trimnl, indent N, shell and urlquery."
    }

    /// The action's source, after checking its argument is a usable reference or name.
    private mutating func validatedSource(keyword: String, argument: [UInt8], start: Int)
        -> Result<TemplateAction.Source, TemplateError>
    {
        let isSecret = keyword == "secret"
        let what = isSecret ? "reference" : "variable name"
        guard !argument.isEmpty else {
            return .failure(error(at: start, "The `\(keyword)` action has an empty \(what)."))
        }
        let value: String
        if let known = interned[InternKey(bytes: argument)] {
            // Checked when first seen.
            value = known
        } else {
            guard TemplateEncoding.firstInvalidUTF8Offset(argument) == nil else {
                return .failure(error(at: start, "The \(what) of this `\(keyword)` action is not valid UTF-8."))
            }
            value = String(decoding: argument, as: UTF8.self)
            // Bounded, so a template of distinct references does not keep each twice.
            if interned.count < 65_536 { interned[InternKey(bytes: argument)] = value }
        }
        if isSecret { return .success(.secret(reference: value)) }
        guard !argument.contains(UInt8(ascii: "=")), !argument.contains(0) else {
            return .failure(error(
                at: start, "`\(value)` is not a valid environment variable name.",
                hint: "Names cannot contain `=` or a NUL byte."))
        }
        return .success(.environment(name: value))
    }

    /// Reads the count of `indent` from `index` (just past the name).
    ///
    /// - Returns: The count and the offset past it, or the error for a missing, non-numeric
    ///   or too large count.
    private mutating func indentCount(from index: Int, start: Int) -> Result<(Int, Int), TemplateError> {
        let tokenStart = skipBlanks(from: index)
        var tokenEnd = tokenStart
        while tokenEnd < buffer.count, !Self.isBlank(buffer[tokenEnd]), !isLineEnd(at: tokenEnd),
              buffer[tokenEnd] != Self.pipe, !isClose(at: tokenEnd) {
            tokenEnd += 1
        }
        let example = "For example `| indent 4`."
        guard tokenEnd > tokenStart else {
            return .failure(error(at: start, "The `indent` filter needs a number of spaces.", hint: example))
        }
        let token = text(tokenStart..<tokenEnd)
        guard token.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return .failure(error(
                at: start,
                "The `indent` filter needs a whole number of spaces from 0 to \(TemplateFilter.maximumIndent), not `\(token)`.",
                hint: example))
        }
        guard token.utf8.count <= 6, let count = Int(token), count <= TemplateFilter.maximumIndent else {
            return .failure(error(
                at: start,
                "The `indent` count \(token) is larger than \(TemplateFilter.maximumIndent) spaces."))
        }
        return .success((count, tokenEnd))
    }

    private mutating func missingArgumentError(keyword: String, start: Int, at index: Int) -> TemplateError {
        var end = index
        while end < buffer.count, !Self.isBlank(buffer[end]), !isLineEnd(at: end),
              buffer[end] != Self.pipe, !isClose(at: end) {
            end += 1
        }
        let bare = text(index..<end)
        let example = keyword == "secret" ? "billing/db-password" : "HOSTNAME"
        let what = keyword == "secret" ? "secret reference" : "variable name"
        return error(
            at: start, "The `\(keyword)` action needs a quoted \(what).",
            hint: bare.isEmpty
                ? "For example << \(keyword) \"\(example)\" >>."
                : "Quote it: << \(keyword) \"\(bare)\" >>.")
    }

    /// The error for something other than `|` or `>>` after the argument or a filter.
    private mutating func unexpectedTokenError(
        at index: Int, keyword: String, start: Int, after filter: TemplateFilter?
    ) -> TemplateError {
        if buffer[index] == Self.quote {
            return error(
                at: start, "Unexpected second quoted string in the `\(keyword)` action.",
                hint: "An action takes one quoted argument; filters follow a `|`.")
        }
        var end = index + 1
        if Self.isWordByte(buffer[index]) {
            end = wordEnd(from: index)
        } else {
            while end < buffer.count && buffer[end] & 0xC0 == 0x80 { end += 1 }
        }
        let token = text(index..<end)
        if let filter, filter.name != "indent", TemplateFilter(argumentlessName: token) == nil {
            return error(
                at: start, "Unexpected `\(token)` after the `\(filter.name)` filter, which takes no argument.",
                hint: "Filters are separated by `|`; the action ends with `>>`.")
        }
        let isFilterName = TemplateFilter.names.contains(token)
        return error(
            at: start, "Unexpected `\(token)` in the `\(keyword)` action.",
            hint: isFilterName
                ? "Did you mean `| \(token)`?"
                : "Filters follow a `|`; the action ends with `>>`.")
    }
}
