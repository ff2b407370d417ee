import Foundation

/// Credentials type `access_token_env`: a ready access token in an environment variable,
/// for CI systems that mint one (for example with workload identity federation).
package struct EnvironmentAccessTokenProvider: AccessTokenProvider {
    /// The environment variable's name.
    package let variable: String
    private let token: String?

    /// - Parameters:
    ///   - variable: the name of the environment variable that holds the token.
    ///   - environment: the process environment to read it from.
    package init(variable: String, environment: [String: String]) {
        self.variable = variable
        let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.token = (value?.isEmpty ?? true) ? nil : value
    }

    package var source: String { "environment variable \(variable)" }

    /// - Throws: ``AuthenticationError`` (`.permission`) when the variable is unset or empty.
    package func accessToken() async throws -> String {
        guard let token else {
            throw AuthenticationError(source: source, message: "the variable is unset or empty")
        }
        return token
    }
}
