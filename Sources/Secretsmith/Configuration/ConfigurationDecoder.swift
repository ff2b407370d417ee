import YAML

/// Turns the YAML node tree of a configuration file into typed values, one key at a time,
/// with every error located (file, line, column, key path). Scalars are typed by the key
/// that holds them; every scalar value goes through `${...}` expansion first.
struct ConfigurationDecoder {
    /// The file name for messages.
    let file: String
    /// The absolute directory relative paths resolve against.
    let directory: String
    /// Variables for `${NAME}` expansion.
    let environment: [String: String]
    /// The errors found so far that did not stop decoding (see ``collecting(_:)``).
    let sink = ErrorSink()

    /// Where errors are collected while decoding goes on, so that one run reports many.
    final class ErrorSink {
        var errors: [ConfigurationError] = []
    }

    /// Runs one independent piece of decoding (a setting, a project, a secret), recording
    /// its error instead of stopping, so the rest of the file is still checked.
    ///
    /// - Returns: the value, or `nil` when an error was recorded.
    /// - Throws: an unset `${NAME}` error, which makes its environment or output lazy
    ///   instead (see ``EnvironmentConfiguration/variableError``).
    func collecting<T>(_ body: () throws(ConfigurationError) -> T) throws(ConfigurationError) -> T? {
        do throws(ConfigurationError) {
            return try body()
        } catch where error.unsetVariable != nil {
            throw error
        } catch {
            sink.errors.append(error)
            return nil
        }
    }

    /// The keys of a mapping, checked against the keys the position accepts.
    struct Fields {
        let node: YAMLNode
        let path: ConfigPath
        let pairs: [YAMLPair]

        subscript(key: String) -> YAMLNode? {
            pairs.first { $0.key.scalarValue == key }?.value
        }
    }

    /// One entry of a mapping whose keys are names (environments, projects, secrets, values).
    struct NamedEntry {
        let name: String
        let keyNode: YAMLNode
        let value: YAMLNode
        let path: ConfigPath
    }

    /// A node's position, or `nil` for a node made for a value that is not in a file
    /// (an environment override), whose line is 0.
    static func position(of node: YAMLNode?) -> Mark? {
        guard let mark = node?.mark, mark.line > 0 else { return nil }
        return mark
    }

    func failure(_ message: String, at node: YAMLNode?, path: ConfigPath?, hint: String? = nil) -> ConfigurationError {
        ConfigurationError(
            file: file, mark: Self.position(of: node),
            keyPath: path.flatMap { $0.description.isEmpty ? nil : $0.description },
            message: message, hint: hint
        )
    }

    /// The mapping at `path`, refusing unknown keys with a did-you-mean hint (each one is
    /// recorded in ``sink`` and left out; the known keys are returned). A null value
    /// (`key:` with nothing after it) is an empty mapping.
    ///
    /// - Parameter misplaced: keys valid elsewhere but not here, with a message explaining
    ///   where they belong.
    func fields(
        _ node: YAMLNode, at path: ConfigPath, allowed: [String], misplaced: [String: String] = [:]
    ) throws(ConfigurationError) -> Fields {
        if node.isNull { return Fields(node: node, path: path, pairs: []) }
        guard let pairs = node.mappingPairs else {
            throw failure("expected a mapping, found \(node.kindDescription)", at: node, path: path)
        }
        // Every unknown key is reported (the known ones are still decoded).
        var known: [YAMLPair] = []
        for pair in pairs {
            guard let key = pair.key.scalarValue else {
                sink.errors.append(
                    failure("a key must be a string, not \(pair.key.kindDescription)", at: pair.key, path: path))
                continue
            }
            if allowed.contains(key) {
                known.append(pair)
            } else if let explanation = misplaced[key] {
                sink.errors.append(
                    failure("\"\(key)\" cannot be set here: \(explanation)", at: pair.key, path: path.key(key)))
            } else {
                sink.errors.append(
                    failure(
                        "unknown key \"\(key)\"", at: pair.key, path: path.key(key),
                        hint: Suggestions.hint(for: key, among: allowed)
                            ?? "Valid keys here: \(allowed.joined(separator: ", "))."
                    ))
            }
        }
        return Fields(node: node, path: path, pairs: known)
    }

    /// The entries of a mapping keyed by names; each name must be a valid reference
    /// component (letters, digits, `_`, `-`, `.`). A null value is an empty mapping.
    func namedEntries(_ node: YAMLNode, at path: ConfigPath, what: String) throws(ConfigurationError) -> [NamedEntry] {
        if node.isNull { return [] }
        guard let pairs = node.mappingPairs else {
            throw failure("expected a mapping of \(what) names, found \(node.kindDescription)", at: node, path: path)
        }
        var entries: [NamedEntry] = []
        for pair in pairs {
            guard let name = pair.key.scalarValue else {
                throw failure("a \(what) name must be a string, not \(pair.key.kindDescription)", at: pair.key, path: path)
            }
            guard SecretReference.isValidComponent(name) else {
                throw failure(
                    "\(what) name \(ConfigurationRules.quoted(name)) may contain only letters, digits, '_', '-' and '.'",
                    at: pair.key, path: path.key(name)
                )
            }
            entries.append(NamedEntry(name: name, keyNode: pair.key, value: pair.value, path: path.key(name)))
        }
        return entries
    }

    /// A scalar's text after `${...}` expansion.
    func string(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else {
            throw failure("expected a string, found \(node.kindDescription)", at: node, path: path)
        }
        guard !node.isNull else {
            throw failure("the key has no value", at: node, path: path)
        }
        do throws(VariableExpansion.Failure) {
            return try VariableExpansion.expand(scalar.value, environment: environment)
        } catch {
            // A plain scalar on one line is its own text: point at the `$`. Otherwise (quotes,
            // escapes, folded lines) at the scalar.
            var mark = node.mark
            if var text = node.textMark {
                text.column += error.offset
                mark = text
            }
            var failure = ConfigurationError(
                file: file, mark: mark, keyPath: path.description, message: error.message, hint: error.hint)
            failure.unsetVariable = error.unsetVariable
            throw failure
        }
    }

    /// A non-empty string.
    func nonEmptyString(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        let text = try string(node, at: path)
        guard !text.isEmpty else { throw failure("the value is empty", at: node, path: path) }
        return text
    }

    /// `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`).
    func bool(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> Bool {
        let text = try string(node, at: path)
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            throw failure("\(ConfigurationRules.quoted(text)) is not a boolean", at: node, path: path, hint: "Write true or false.")
        }
    }

    /// A decimal integer, within `range` when one is given.
    func int(_ node: YAMLNode, at path: ConfigPath, in range: ClosedRange<Int>? = nil) throws(ConfigurationError) -> Int {
        let text = try string(node, at: path)
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(text)
        else {
            throw failure("\(ConfigurationRules.quoted(text)) is not a whole number", at: node, path: path)
        }
        if let range, !range.contains(value) {
            throw failure(ConfigurationRules.outOfRange(String(value), range), at: node, path: path)
        }
        return value
    }

    /// A decimal number, within `range` when one is given.
    func double(_ node: YAMLNode, at path: ConfigPath, in range: ClosedRange<Double>? = nil) throws(ConfigurationError) -> Double {
        let text = try string(node, at: path)
        guard let value = Double(text), value.isFinite,
              text.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") })
        else {
            throw failure("\(ConfigurationRules.quoted(text)) is not a number", at: node, path: path)
        }
        if let range, !range.contains(value) {
            throw failure(ConfigurationRules.outOfRange(text, range), at: node, path: path)
        }
        return value
    }

    /// A duration (`250ms`, `10s`, `5m`, `1h`, `1m30s`), at least `minimum`.
    func duration(_ node: YAMLNode, at path: ConfigPath, minimum: Duration = .zero) throws(ConfigurationError) -> Duration {
        let text = try string(node, at: path)
        let value: Duration
        do throws(ConfigurationError) {
            value = try DurationSyntax.parse(text)
        } catch {
            throw error.located(file: file, mark: Self.position(of: node), keyPath: path.description)
        }
        if let message = ConfigurationRules.durationBelow(minimum, value) {
            throw failure(message, at: node, path: path)
        }
        return value
    }

    /// A file mode (`"0600"`); when `allowWorldReadable` is given, one granting access to
    /// others needs it to be true.
    func fileMode(_ node: YAMLNode, at path: ConfigPath, allowWorldReadable: Bool? = nil) throws(ConfigurationError) -> FileMode {
        let text = try string(node, at: path)
        let mode: FileMode
        do throws(ConfigurationError) {
            mode = try FileMode(parsing: text)
        } catch {
            throw error.located(file: file, mark: Self.position(of: node), keyPath: path.description)
        }
        if let allowWorldReadable, mode.grantsAccessToOthers, !allowWorldReadable {
            let problem = ConfigurationRules.worldReadable(mode)
            throw failure(problem.message, at: node, path: path, hint: problem.hint)
        }
        return mode
    }

    /// A path, absolute, resolved against the configuration file's directory and normalised
    /// lexically (`a/../b` is `b`; see ``FilePaths``).
    func path(_ node: YAMLNode, at path: ConfigPath) throws(ConfigurationError) -> String {
        let text = try nonEmptyString(node, at: path)
        // The C library would cut the path at the NUL: two paths could name one file.
        guard !FilePaths.containsNUL(text) else {
            throw failure("a path must not contain a NUL byte", at: node, path: path)
        }
        // A newline or other control character would be printed raw in every message
        // naming the path, and is never what was meant.
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw failure("a path must not contain a control character such as a newline or a tab", at: node, path: path)
        }
        return FilePaths.absolute(text, relativeTo: directory)
    }

    /// A string matched against one of the shared grammars.
    func token(_ node: YAMLNode, at path: ConfigPath, rule: ConfigurationRules.Token) throws(ConfigurationError) -> String {
        try token(node, at: path, what: rule.what, expected: rule.expected, valid: rule.valid)
    }

    /// A string matched against a character set, with a message saying what was expected.
    func token(
        _ node: YAMLNode, at path: ConfigPath, what: String, expected: String, valid: (String) -> Bool
    ) throws(ConfigurationError) -> String {
        let text = try nonEmptyString(node, at: path)
        guard valid(text) else {
            throw failure("\(ConfigurationRules.quoted(text)) is not a valid \(what): expected \(expected)", at: node, path: path)
        }
        return text
    }
}
