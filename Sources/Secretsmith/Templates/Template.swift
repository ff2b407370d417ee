import YAML

/// A parsed template: bytes that pass through unchanged, with `<< ... >>` actions that
/// render secret payloads and environment variables (README "Templates").
///
/// ```
/// << secret "billing/db-password" >>
/// << secret "prod/billing/tls@3" | indent 4 >>
/// << secret "billing/config#/redis/url" | json >>
/// << env "HOSTNAME" >>
/// << "<<" >>                      a literal "<<"
/// ```
///
/// Grammar decisions, beyond the product contract:
/// - Templates are bytes. Text between actions, invalid UTF-8 and NUL included, is
///   copied as is; nothing is decoded or normalised.
/// - An action lives on one line. Blanks (spaces and tabs) may separate its tokens.
///   It ends at the first `>>` outside its quoted string; a `\n` before that `>>` makes
///   the action unterminated (an error for a keyword action).
/// - Quoted strings know two escapes, `\"` and `\\`; any other backslash sequence is
///   an error. Other bytes, UTF-8 included, stand for themselves.
/// - A keyword (`secret`, `env`) followed by a blank or `"` starts an action, except
///   that a keyword not followed by a quoted string on a line without `>>` is text
///   (`std::cout << secret << '\n';`).
/// - The literal form `<< "..." >>` takes no filters: `cat << "EOF" | tee >> log` is a
///   shell heredoc, not an action. A `<< "EOF" >>` with nothing between the string and
///   `>>` is a literal, so write `cat << 'EOF' >> log` (the same in shell) to append a
///   heredoc.
/// - A run of three or more `<` (`<<<` here-strings) is never an action.
/// - Near misses are errors, not text: an unknown word starting with a letter, followed
///   by a complete quoted string and a `>>` later on the line (`<< secrte "a/b" >>`).
/// - `indent N` indents the first line too (write the action at the start of a line);
///   N is a whole number from 0 to 256.
/// - Positions are 1-based lines (ending at `\n`) and columns counting Unicode scalars
///   (like ``Mark`` in the YAML module), of the action's `<<`; a leading byte order mark
///   takes no column.
public struct Template: Sendable {
    /// The template's path as given to ``parse(_:path:)``; errors name it.
    public let path: String
    /// The template as parsed.
    let bytes: [UInt8]
    /// Text ranges, literals and actions, in order.
    let segments: [TemplateSegment]
    /// The number of bytes that text and literal segments contribute to every rendering.
    let fixedByteCount: Int

    private init(path: String, bytes: [UInt8], segments: [TemplateSegment]) {
        self.path = path
        self.bytes = bytes
        self.segments = segments
        var fixed = 0
        for segment in segments {
            switch segment {
            case .text(let range): fixed += range.count
            case .literal(let content): fixed += content.count
            case .action(_, let text): fixed += text.count
            }
        }
        self.fixedByteCount = fixed
    }

    /// Parses a template once; positions are kept for errors at render time.
    ///
    /// - Parameters:
    ///   - bytes: The template's bytes (any encoding; actions are ASCII syntax).
    ///   - path: The template's path, used in error descriptions only.
    /// - Returns: The parsed template.
    /// - Throws: ``TemplateError`` for the first near miss, unterminated action, unknown
    ///   filter or bad argument.
    public static func parse(_ bytes: [UInt8], path: String) throws(TemplateError) -> Template {
        let (segments, errors) = TemplateParser.parse(bytes, path: path, stopAtFirstError: true)
        if let first = errors.first { throw first }
        return Template(path: path, bytes: bytes, segments: segments)
    }

    /// Every problem of a template, not only the first, for `secretsmith check`.
    ///
    /// - Parameters:
    ///   - bytes: The template's bytes.
    ///   - path: The template's path, used in error descriptions only.
    /// - Returns: The problems in order of position; empty when ``parse(_:path:)`` succeeds.
    package static func problems(in bytes: [UInt8], path: String) -> [TemplateError] {
        TemplateParser.parse(bytes, path: path, stopAtFirstError: false).errors
    }

    /// Parses a template leniently, for `secretsmith check`: every problem, plus a template
    /// holding the actions that did parse, so their references can still be checked.
    ///
    /// - Parameters:
    ///   - bytes: The template's bytes.
    ///   - path: The template's path, used in error descriptions only.
    /// - Returns: The partial template and the problems in order of position. When
    ///   `problems` is not empty, the template lacks the failed actions and must not be
    ///   rendered.
    package static func parseCollectingProblems(_ bytes: [UInt8], path: String)
        -> (template: Template, problems: [TemplateError])
    {
        let (segments, errors) = TemplateParser.parse(bytes, path: path, stopAtFirstError: false)
        return (Template(path: path, bytes: bytes, segments: segments), errors)
    }

    /// The reference text of every `secret` action, in order of appearance, with the
    /// position of its `<<`. A reference used twice appears twice.
    public var secretReferences: [(reference: String, mark: Mark)] {
        actions.compactMap { action in
            guard case .secret(let reference) = action.source else { return nil }
            return (reference, action.mark)
        }
    }

    /// Calls `body` with the reference text and position of every `secret` action, in
    /// order, without building an array (a large template has millions).
    public func forEachSecretReference(_ body: (_ reference: String, _ mark: Mark) throws -> Void) rethrows {
        for segment in segments {
            guard case .action(let action, _) = segment, case .secret(let reference) = action.source else { continue }
            try body(reference, action.mark)
        }
    }

    /// How many `secret` actions the template has.
    public var secretReferenceCount: Int {
        var count = 0
        forEachSecretReference { _, _ in count += 1 }
        return count
    }

    /// The variable name of every `env` action, in order of appearance, with the position
    /// of its `<<`. A name used twice appears twice.
    public var environmentReferences: [(name: String, mark: Mark)] {
        actions.compactMap { action in
            guard case .environment(let name) = action.source else { return nil }
            return (name, action.mark)
        }
    }

    /// The actions, in order.
    var actions: [TemplateAction] {
        segments.compactMap { segment in
            guard case .action(let action, _) = segment else { return nil }
            return action
        }
    }

    /// Renders the template into bytes.
    ///
    /// Every action's value is produced first, in order, then the output is assembled in
    /// one buffer of exactly the right capacity. Payloads are copied unchanged apart from
    /// the filters written: newlines, a trailing newline, a byte order mark and NUL bytes
    /// are kept.
    ///
    /// - Parameters:
    ///   - secret: Returns the payload of a `secret` action, given its reference text as
    ///     written and the position of its `<<`; the caller resolves the reference and
    ///     applies any `#` JSON pointer. Called once per action, in order.
    ///   - environment: Looks up an environment variable; nil when it is unset.
    /// - Returns: The rendered bytes.
    /// - Throws: Whatever `secret` throws, unchanged; ``TemplateError`` when an `env`
    ///   variable is unset or a filter cannot take its input (`json` of invalid UTF-8,
    ///   `base64decode` of invalid base64, `shell` of a NUL byte). Errors never contain
    ///   a value.
    public func render(
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        environment: (String) -> String?
    ) throws -> [UInt8] {
        let (bytes, problems) = try renderCollectingProblems(secret: secret, environment: environment)
        if let first = problems.first { throw first.error }
        return bytes ?? []
    }

    /// Renders as ``render(secret:environment:)`` does, but goes on past an action that
    /// cannot be rendered, so every such action is reported, not only the first.
    ///
    /// - Returns: The rendered bytes when no action failed (else `nil`), and one
    ///   ``TemplateError`` per failed action in order, with the reference text of a
    ///   `secret` action (`nil` for an `env` action).
    /// - Throws: Whatever `secret` throws, unchanged.
    package func renderCollectingProblems(
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        environment: (String) -> String?
    ) throws -> (bytes: [UInt8]?, problems: [(error: TemplateError, reference: String?)]) {
        let (content, problems) = try renderContentCollectingProblems(secret: secret, environment: environment)
        return (content?.joined, problems)
    }

    /// Renders as ``renderCollectingProblems(secret:environment:)`` does, into an
    /// ``OutputContent`` that keeps the template's text and each action's value as pieces
    /// (written and compared in order, never joined into one more copy of the output);
    /// an output of at most ``OutputContent/joinedUpTo`` bytes is joined into one buffer.
    ///
    /// - Returns: The content when no action failed (else `nil`), and the problems.
    /// - Throws: Whatever `secret` throws, unchanged.
    package func renderContentCollectingProblems(
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        environment: (String) -> String?
    ) throws -> (content: OutputContent?, problems: [(error: TemplateError, reference: String?)]) {
        var values: [[UInt8]] = []
        var problems: [(error: TemplateError, reference: String?)] = []
        var total = fixedByteCount
        for segment in segments {
            guard case .action(let action, _) = segment else { continue }
            let value: [UInt8]
            do {
                value = try evaluate(action, secret: secret, environment: environment)
            } catch let error as TemplateError {
                var reference: String?
                if case .secret(let text) = action.source { reference = text }
                problems.append((error, reference))
                continue
            }
            total += value.count
            values.append(value)
        }
        guard problems.isEmpty else { return (nil, problems) }
        let pieces = OutputContent(template: self, values: values, count: total)
        // A small output is joined at once: one buffer is cheaper to hand out (serve's
        // renders) than pieces joined on every read, and costs little memory.
        return (total <= OutputContent.joinedUpTo ? OutputContent(pieces.joined) : pieces, [])
    }

    /// An error for every `env` action whose variable `environment` does not set, in
    /// order, the same errors rendering would report; no secret is needed to find them.
    package func unsetEnvironmentErrors(environment: (String) -> String?) -> [TemplateError] {
        actions.compactMap { action in
            guard case .environment(let name) = action.source, environment(name) == nil else { return nil }
            return unsetEnvironmentError(name, at: action.mark)
        }
    }

    private func unsetEnvironmentError(_ name: String, at mark: Mark) -> TemplateError {
        TemplateError(
            path: path, mark: mark,
            message: "Environment variable `\(name)` is not set.",
            hint: "Set it for secretsmith, or remove the `env` action.")
    }

    /// The value of one action with its filters applied.
    private func evaluate(
        _ action: TemplateAction,
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        environment: (String) -> String?
    ) throws -> [UInt8] {
        var value: [UInt8]
        switch action.source {
        case .secret(let reference):
            value = try secret(reference, action.mark)
        case .environment(let name):
            guard let text = environment(name) else { throw unsetEnvironmentError(name, at: action.mark) }
            value = Array(text.utf8)
        }
        for filter in action.filters {
            value = try filter.apply(to: value, subject: action.subject, path: path, mark: action.mark)
        }
        return value
    }
}
