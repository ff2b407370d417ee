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
    /// The template's bytes: in memory, or (a large template rendered to a file) in its
    /// file, read again in chunks when the output is written.
    let text: TemplateText
    /// Text ranges, each followed by an action, a literal or (at the end) nothing, in order.
    let segments: [TemplateSegment]
    /// The distinct actions (source and filters) in order of first use, each with the
    /// position of its first use: a value is worked out once per distinct action, however
    /// many times the template repeats it.
    let actions: [TemplateAction]
    /// How many times each of ``actions`` is used.
    let actionUses: [Int]
    /// The decoded strings of the literals, one after the other.
    let literalBytes: [UInt8]
    /// Each literal's range of ``literalBytes``, in order of appearance.
    let literalRanges: [Range<Int>]
    /// The number of bytes that text and literal segments contribute to every rendering.
    let fixedByteCount: Int

    init(path: String, text: TemplateText, parser: TemplateParser) {
        self.path = path
        self.text = text
        self.segments = parser.segments
        self.actions = parser.actions
        self.actionUses = parser.actionUses
        self.literalBytes = parser.literalBytes
        self.literalRanges = parser.literalRanges
        var fixed = literalBytes.count
        for segment in segments { fixed += Int(segment.itemStart - segment.textStart) }
        self.fixedByteCount = fixed
    }

    /// Parses a template once; positions are kept for errors at render time.
    ///
    /// - Parameters:
    ///   - bytes: The template's bytes (any encoding; actions are ASCII syntax), less than
    ///     4 GiB.
    ///   - path: The template's path, used in error descriptions only.
    /// - Returns: The parsed template.
    /// - Throws: ``TemplateError`` for the first near miss, unterminated action, unknown
    ///   filter or bad argument.
    public static func parse(_ bytes: [UInt8], path: String) throws(TemplateError) -> Template {
        let parser = TemplateParser.parse(bytes, path: path, stopAtFirstError: true)
        if let first = parser.errors.first { throw first }
        return Template(path: path, text: .memory(bytes), parser: parser)
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
        let parser = TemplateParser.parse(bytes, path: path, stopAtFirstError: false)
        return (Template(path: path, text: .memory(bytes), parser: parser), parser.errors)
    }

    /// The reference text of every `secret` action, in order of appearance, with the
    /// position of its `<<`. A reference used twice appears twice.
    public var secretReferences: [(reference: String, mark: Mark)] {
        var result: [(reference: String, mark: Mark)] = []
        forEachSecretReference { result.append(($0, $1)) }
        return result
    }

    /// Calls `body` with the reference text and position of every `secret` action, in
    /// order, without building an array (a large template has millions). Positions are
    /// worked out on the way, in one pass over the template.
    public func forEachSecretReference(_ body: (_ reference: String, _ mark: Mark) throws -> Void) rethrows {
        try forEachActionUse { index, mark in
            guard case .secret(let reference) = actions[index].source else { return }
            try body(reference, mark)
        }
    }

    /// The text of every distinct `secret` reference, in order of first appearance, with
    /// the position of its first use: what a plan fetches, without a pass over the
    /// template.
    package var distinctSecretReferences: [(reference: String, mark: Mark)] {
        var seen = Set<String>()
        var result: [(reference: String, mark: Mark)] = []
        for action in actions {
            guard case .secret(let reference) = action.source, seen.insert(reference).inserted else { continue }
            result.append((reference, action.mark))
        }
        return result
    }

    /// How many `secret` actions the template has.
    public var secretReferenceCount: Int {
        var count = 0
        for (action, uses) in zip(actions, actionUses) {
            if case .secret = action.source { count += uses }
        }
        return count
    }

    /// The variable name of every `env` action, in order of appearance, with the position
    /// of its `<<`. A name used twice appears twice.
    public var environmentReferences: [(name: String, mark: Mark)] {
        var result: [(name: String, mark: Mark)] = []
        forEachActionUse { index, mark in
            guard case .environment(let name) = actions[index].source else { return }
            result.append((name, mark))
        }
        return result
    }

    /// Calls `body` with the index in ``actions`` and the position of every use of an
    /// action, in order; positions are counted in one pass over the template (for a
    /// template kept in its file, the file is read again, in chunks).
    ///
    /// When a template kept in its file can no longer be read as it was (it was edited
    /// meanwhile), the uses not reached are given the position of their action's first use.
    func forEachActionUse(_ body: (_ action: Int, _ mark: Mark) throws -> Void) rethrows {
        switch text {
        case .memory(let bytes):
            try bytes.withUnsafeBufferPointer { buffer in
                var marks = TemplateMarkCounter(buffer: buffer)
                for segment in segments {
                    guard let action = segment.action else { continue }
                    try body(action, marks.mark(at: Int(segment.itemStart), in: buffer))
                }
            }
        case .file(let file):
            var marks = TemplateMarkCounter(skipsByteOrderMark: file.startsWithByteOrderMark)
            var next = 0
            _ = try file.read { chunk, offset in
                let window = UnsafeBufferPointer(start: chunk.baseAddress?.assumingMemoryBound(to: UInt8.self), count: chunk.count)
                let end = offset + chunk.count
                while next < segments.count, Int(segments[next].itemStart) < end {
                    if let action = segments[next].action {
                        try body(action, marks.mark(at: Int(segments[next].itemStart), in: window, base: offset))
                    }
                    next += 1
                }
                marks.advance(to: end, in: window, base: offset)
                return true
            }
            while next < segments.count {
                if let action = segments[next].action { try body(action, actions[action].mark) }
                next += 1
            }
        }
    }

    /// Renders the template into bytes.
    ///
    /// The value of each distinct action (source and filters) is produced once, in order
    /// of first use, then the output is assembled in one buffer of exactly the right
    /// capacity. Payloads are copied unchanged apart from the filters written: newlines, a
    /// trailing newline, a byte order mark and NUL bytes are kept.
    ///
    /// - Parameters:
    ///   - secret: Returns the payload of a `secret` action, given its reference text as
    ///     written and the position of the `<<` of its first use; the caller resolves the
    ///     reference and applies any `#` JSON pointer. Called once per distinct reference
    ///     text, in order of first use (again for a reference whose call threw a
    ///     ``TemplateError``).
    ///   - environment: Looks up an environment variable; nil when it is unset.
    /// - Returns: The rendered bytes.
    /// - Throws: Whatever `secret` throws, unchanged; ``TemplateError`` when an `env`
    ///   variable is unset or a filter cannot take its input (`json` of invalid UTF-8,
    ///   `base64decode` of invalid base64, `shell` of a NUL byte), at the first use of
    ///   such an action. Errors never contain a value.
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
    ///   ``TemplateError`` per use of a failed action in order, each at that use's
    ///   position, with the reference text of a `secret` action (`nil` for an `env`
    ///   action).
    /// - Throws: Whatever `secret` throws, unchanged; a ``TemplateError`` for a template
    ///   kept in its file that no longer holds the bytes parsed.
    package func renderCollectingProblems(
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        environment: (String) -> String?
    ) throws -> (bytes: [UInt8]?, problems: [(error: TemplateError, reference: String?)]) {
        let (content, problems) = try renderContentCollectingProblems(secret: secret, environment: environment)
        guard let content else { return (nil, problems) }
        guard let bytes = content.joinedIfUnchanged() else { throw changedError() }
        return (bytes, problems)
    }

    /// Renders as ``renderCollectingProblems(secret:environment:)`` does, into an
    /// ``OutputContent`` that keeps the template's text and each distinct action's value
    /// as pieces (written and compared in order, never joined into one more copy of the
    /// output); an output of at most ``OutputContent/joinedUpTo`` bytes is joined into one
    /// buffer.
    ///
    /// - Returns: The content when no action failed (else `nil`), and the problems.
    /// - Throws: Whatever `secret` throws, unchanged.
    package func renderContentCollectingProblems(
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        environment: (String) -> String?
    ) throws -> (content: OutputContent?, problems: [(error: TemplateError, reference: String?)]) {
        var values: [[UInt8]] = []
        values.reserveCapacity(actions.count)
        var payloads: [String: [UInt8]] = [:]
        var failures: [Int: TemplateError] = [:]
        var total = fixedByteCount
        for (index, action) in actions.enumerated() {
            do {
                let value = try evaluate(action, secret: secret, payloads: &payloads, environment: environment)
                total += value.count * actionUses[index]
                values.append(value)
            } catch let error as TemplateError {
                failures[index] = error
                values.append([])
            }
        }
        guard failures.isEmpty else {
            // One problem per use of a failed action, each at its own position.
            var problems: [(error: TemplateError, reference: String?)] = []
            forEachActionUse { index, mark in
                guard let error = failures[index] else { return }
                var reference: String?
                if case .secret(let text) = actions[index].source { reference = text }
                let moved = TemplateError(path: error.path, mark: mark, message: error.message, hint: error.hint, code: error.code)
                problems.append((moved, reference))
            }
            return (nil, problems)
        }
        let pieces = OutputContent(template: self, values: values, count: total)
        // A small output is joined at once: one buffer is cheaper to hand out (serve's
        // renders) than pieces joined on every read, and costs little memory. A template
        // kept in its file stays in pieces: its file is read (and checked) when written.
        guard case .memory = text, total <= OutputContent.joinedUpTo else { return (pieces, []) }
        return (OutputContent(pieces.joined), [])
    }

    /// An error for every `env` action whose variable `environment` does not set, in
    /// order, the same errors rendering would report; no secret is needed to find them.
    package func unsetEnvironmentErrors(environment: (String) -> String?) -> [TemplateError] {
        var unset = Set<Int>()
        for (index, action) in actions.enumerated() {
            if case .environment(let name) = action.source, environment(name) == nil { unset.insert(index) }
        }
        guard !unset.isEmpty else { return [] }
        var errors: [TemplateError] = []
        forEachActionUse { index, mark in
            guard unset.contains(index), case .environment(let name) = actions[index].source else { return }
            errors.append(unsetEnvironmentError(name, at: mark))
        }
        return errors
    }

    /// The error for a template kept in its file whose file no longer holds the bytes
    /// parsed (edited, truncated or unreadable since).
    func changedError() -> TemplateError {
        TemplateError(
            path: path, mark: Mark(line: 1, column: 1),
            message: "The template changed while it was being rendered (its size or bytes differ from when it was read).",
            hint: "Render again once the template is saved.")
    }

    private func unsetEnvironmentError(_ name: String, at mark: Mark) -> TemplateError {
        TemplateError(
            path: path, mark: mark,
            message: "Environment variable `\(name)` is not set.",
            hint: "Set it for secretsmith, or remove the `env` action.")
    }

    /// The value of one distinct action with its filters applied; `payloads` keeps each
    /// reference's payload, so a reference with several filter chains is asked for once.
    private func evaluate(
        _ action: TemplateAction,
        secret: (_ reference: String, _ mark: Mark) throws -> [UInt8],
        payloads: inout [String: [UInt8]],
        environment: (String) -> String?
    ) throws -> [UInt8] {
        var value: [UInt8]
        switch action.source {
        case .secret(let reference):
            if let known = payloads[reference] {
                value = known
            } else {
                value = try secret(reference, action.mark)
                payloads[reference] = value
            }
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
