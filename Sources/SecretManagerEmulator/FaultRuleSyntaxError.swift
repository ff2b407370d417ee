import Secretsmith

/// A fault rule in the compact text form (``FaultRule/init(parsing:)``) that cannot be parsed.
public struct FaultRuleSyntaxError: SecretsmithError, Equatable {
    /// The rule text as given.
    public var text: String
    /// What is wrong with it.
    public var problem: String

    public init(text: String, problem: String) {
        self.text = text
        self.problem = problem
    }

    /// Command-line usage: a rule is given as a flag.
    public var kind: FailureKind { .usage }

    public var description: String {
        "The fault rule `\(text)` is invalid: \(problem)."
    }
}
