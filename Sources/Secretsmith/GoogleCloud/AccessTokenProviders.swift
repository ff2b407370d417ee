/// Makes the ``AccessTokenProvider`` for a credentials configuration.
enum AccessTokenProviders {
    /// - Throws: ``AuthenticationError`` (`.configuration`) for a credentials type this
    ///   build cannot use yet.
    static func make(
        for credentials: CredentialsConfiguration, environment: [String: String]
    ) throws -> any AccessTokenProvider {
        switch credentials {
        case .accessTokenEnvironment(let variable):
            return EnvironmentAccessTokenProvider(variable: variable, environment: environment)
        default:
            // Service account keys, ADC, the metadata server and impersonation are the
            // subject of the authentication work (issue #3); until then say so plainly.
            throw AuthenticationError(
                source: "credentials type \(credentials.typeName)",
                message: "this build of secretsmith cannot obtain tokens with this credentials type yet; "
                    + "use `type: access_token_env`, or SECRET_MANAGER_EMULATOR_HOST for the emulator",
                kind: .configuration)
        }
    }
}
