/// `${NAME}` and `${NAME:-default}` in configuration values, read from an environment
/// dictionary (normally the process environment).
///
/// - `${NAME}`: the variable's value; unset is an error (set but empty gives "").
/// - `${NAME:-default}`: the value, or `default` when unset or empty (as in POSIX sh).
///   The default is literal text up to the first `}`.
/// - `$${` writes a literal `${`. Any other `$` is literal.
/// - `NAME` is `[A-Za-z_][A-Za-z0-9_]*`.
enum VariableExpansion {
    /// Why an expansion failed, and where: `offset` counts Unicode scalars from the start
    /// of the value to the `$`.
    struct Failure: Error {
        var offset: Int
        var message: String
        var hint: String?
        /// The variable's name, when the failure is an unset variable without default.
        var unsetVariable: String? = nil
    }

    /// Expands every `${...}` in `text`.
    ///
    /// - Throws: `Failure` for an unset variable without default, a bad name, or a
    ///   missing `}`.
    static func expand(_ text: String, environment: [String: String]) throws(Failure) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains("$") else { return text }
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "$", index + 2 < scalars.count, scalars[index + 1] == "$", scalars[index + 2] == "{" {
                output.append("$")
                output.append("{")
                index += 3
                continue
            }
            guard scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" else {
                output.append(scalar)
                index += 1
                continue
            }
            let start = index
            guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                throw Failure(offset: start, message: "\"${\" has no closing \"}\"", hint: "Write $${ for a literal ${.")
            }
            let innerScalars = scalars[(index + 2)..<close]
            let inner = String(String.UnicodeScalarView(innerScalars))
            let name: String
            let fallback: String?
            if let colon = innerScalars.indices.first(where: {
                innerScalars[$0] == ":" && $0 + 1 < close && innerScalars[$0 + 1] == "-"
            }) {
                name = String(String.UnicodeScalarView(innerScalars[..<colon]))
                fallback = String(String.UnicodeScalarView(innerScalars[(colon + 2)...]))
            } else {
                name = inner
                fallback = nil
            }
            guard isValidName(name) else {
                throw Failure(
                    offset: start,
                    message: "\"${\(inner)}\" does not name an environment variable",
                    hint: "Write ${NAME} or ${NAME:-default} with NAME made of letters, digits and _, or $${ for a literal ${."
                )
            }
            let value = environment[name]
            if let fallback {
                output.append(contentsOf: (value?.isEmpty ?? true ? fallback : value!).unicodeScalars)
            } else if let value {
                output.append(contentsOf: value.unicodeScalars)
            } else {
                throw Failure(
                    offset: start,
                    message: "environment variable \(name) is not set",
                    hint: name == activeEnvironmentVariable
                        ? "Pass --env or set SECRETSMITH_ENV." : "Set \(name), or give a default with ${\(name):-default}.",
                    unsetVariable: name
                )
            }
            index = close + 1
        }
        return String(output)
    }

    /// The variable naming the active environment (set by `--env`): unset, it means no
    /// environment was selected, and the hint says how to select one.
    static let activeEnvironmentVariable = "SECRETSMITH_ENV"

    /// `[A-Za-z_][A-Za-z0-9_]*`: a portable environment variable name.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
