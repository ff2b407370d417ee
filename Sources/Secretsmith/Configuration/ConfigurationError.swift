import YAML

/// The configuration file, a value in it, or a reference resolved against it is wrong.
///
/// The description is one or two sentences: `file:line:column: message (at key.path).
/// Hint.` (for an environment override, `Environment variable NAME: message (at
/// key.path). Hint.`). It names the file, the position, the key path and references, never
/// a value read from Secret Manager.
public struct ConfigurationError: SecretsmithError, Hashable {
    /// What is wrong.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidConfiguration = "INVALID_CONFIGURATION"
            case yamlSyntax = "YAML_SYNTAX"
            case unknownEnvironment = "UNKNOWN_ENVIRONMENT"
            case crossEnvironmentReference = "CROSS_ENVIRONMENT_REFERENCE"
            case unsetVariable = "UNSET_VARIABLE"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// A key, a value or the file's structure is wrong (the general case).
        public static let invalidConfiguration = Code(.invalidConfiguration)

        /// The file is not valid YAML (of the subset secretsmith reads).
        public static let yamlSyntax = Code(.yamlSyntax)

        /// An environment that is not declared under `environments` was asked for.
        public static let unknownEnvironment = Code(.unknownEnvironment)

        /// A reference leaves an environment that has `strict_isolation: true`.
        public static let crossEnvironmentReference = Code(.crossEnvironmentReference)

        /// A `${NAME}` names an environment variable that is not set.
        public static let unsetVariable = Code(.unsetVariable)
    }

    /// What is wrong; ``Code/unsetVariable`` whenever a `${NAME}` was not set.
    public var code: Code {
        get { unsetVariable != nil ? .unsetVariable : assignedCode }
        set { assignedCode = newValue }
    }
    private var assignedCode: Code = .invalidConfiguration
    public var shortDescription: String { code.description }
    /// The configuration file's path as given, when the error is about one.
    public var file: String?
    /// The 1-based position in the file, when known.
    public var mark: Mark?
    /// The dotted key path, such as `environments.prod.projects.billing.secretz` or
    /// `outputs[1].mode`.
    public var keyPath: String?
    /// The environment variable whose value or name is wrong, when the error is about an
    /// environment override (`SECRETSMITH_DEFAULTS__TIMEOUT`); such an error has no file
    /// position.
    public var environmentVariable: String?
    /// What is wrong (no trailing period); the description starts it with a capital.
    public var message: String
    /// How to fix it, as a sentence (`Did you mean "secrets"?`).
    public var hint: String?
    /// The failure kind (exit status); `.configuration` (65) unless said otherwise.
    public var kind: FailureKind
    /// The variable, when the error is a `${NAME}` whose variable is not set. Such an
    /// error in an environment or an output is reported only when that environment or
    /// output is used.
    package var unsetVariable: String?
    /// Further errors found in the same file, in file order (each environment and output
    /// is decoded even after an earlier one failed). `description` is this error's alone.
    public var additional: [ConfigurationError] = []

    /// This error and every further one, in file order.
    public var all: [ConfigurationError] {
        var first = self
        first.additional = []
        return [first] + additional
    }

    public init(
        file: String? = nil,
        mark: Mark? = nil,
        keyPath: String? = nil,
        message: String,
        hint: String? = nil,
        kind: FailureKind = .configuration,
        code: Code = .invalidConfiguration
    ) {
        self.assignedCode = code
        self.file = file
        self.mark = mark
        self.keyPath = keyPath
        self.message = message
        self.hint = hint
        self.kind = kind
    }

    /// Wraps a YAML parse error of the configuration file.
    init(_ error: YAMLError) {
        self.init(file: error.file, mark: error.mark, message: error.message, code: .yamlSyntax)
    }

    public var description: String {
        var text = ""
        if let environmentVariable {
            // An override's error names its variable, not a place in a file.
            text += "Environment variable \(environmentVariable): " + message
        } else {
            if let file {
                text += file
                // Line 0: a configuration built in code has no positions.
                if let mark, mark.line > 0 { text += ":\(mark)" }
                text += ": "
            }
            // Sentence case: the message starts with a capital after the position.
            text += message.prefix(1).uppercased() + message.dropFirst()
        }
        if let keyPath { text += " (at \(keyPath))" }
        text = text.endingSentence
        if let hint { text += " " + hint }
        return text
    }

    /// This error with the file, position and key path filled in where missing.
    func located(file: String, mark: Mark?, keyPath: String?) -> ConfigurationError {
        var copy = self
        copy.file = copy.file ?? file
        copy.mark = copy.mark ?? mark
        copy.keyPath = copy.keyPath ?? keyPath
        return copy
    }
}

extension ConfigurationError {
    /// `environment "x" is not declared under environments`, with a did-you-mean hint.
    public static func unknownEnvironment(_ name: String, in configuration: Configuration) -> ConfigurationError {
        ConfigurationError(
            file: configuration.file,
            message: "environment \(ConfigurationRules.quoted(name)) is not declared under environments",
            hint: Suggestions.closest(to: name, in: configuration.environmentNames).map { "Did you mean \"\($0)\"?" }
                ?? "Declared environments: \(configuration.environmentNames.joined(separator: ", ")).",
            code: .unknownEnvironment
        )
    }

    /// A reference names an environment other than the active one, which has (or, for a
    /// manager bound to one environment, behaves as if it had) `strict_isolation: true`.
    public static func crossEnvironmentReference(
        _ reference: SecretReference, activeEnvironment: String, file: String? = nil
    ) -> ConfigurationError {
        ConfigurationError(
            file: file,
            message: "reference \(ConfigurationRules.quoted("\(reference)")) names environment \"\(reference.environment ?? activeEnvironment)\", but the active environment \"\(activeEnvironment)\" has strict_isolation: true and may only use its own projects",
            hint: "Reference \"\(activeEnvironment)\" projects only, or set strict_isolation: false on \"\(activeEnvironment)\".",
            code: .crossEnvironmentReference
        )
    }
}
