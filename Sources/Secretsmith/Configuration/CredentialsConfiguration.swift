/// How secretsmith obtains an OAuth access token for Secret Manager (`credentials:`).
///
/// The configuration only names where credentials live (paths, variable names, service
/// account emails); it never holds a key or a token.
public indirect enum CredentialsConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// `type: adc`: Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`,
    /// the gcloud file, then the metadata server). The built-in default.
    case applicationDefault
    /// `type: service_account_file`, `path:` a service-account key file (absolute,
    /// resolved against the configuration file's directory).
    case serviceAccountFile(path: String)
    /// `type: service_account_json`, `json_env:` the environment variable holding the
    /// key file's JSON.
    case serviceAccountJSON(environmentVariable: String)
    /// `type: impersonate`: tokens for `target_service_account` minted with IAM
    /// Credentials `generateAccessToken` using the `source` credentials (default adc),
    /// through the optional `delegates` chain, valid for `lifetime` (default 1 h, at most 12 h).
    case impersonate(targetServiceAccount: String, delegates: [String], lifetime: Duration, source: CredentialsConfiguration)
    /// `type: metadata`: the instance metadata server's default service account.
    case metadata
    /// `type: access_token_env`, `env:` the environment variable holding a ready token.
    case accessTokenEnvironment(variable: String)

    /// The `type:` value that selects each case, in documentation order.
    static let typeNames = ["adc", "service_account_file", "service_account_json", "impersonate", "metadata", "access_token_env"]

    /// The `type:` value of this case.
    public var typeName: String {
        switch self {
        case .applicationDefault: "adc"
        case .serviceAccountFile: "service_account_file"
        case .serviceAccountJSON: "service_account_json"
        case .impersonate: "impersonate"
        case .metadata: "metadata"
        case .accessTokenEnvironment: "access_token_env"
        }
    }

    /// A one-line summary for `explain`, such as `service_account_file (path /etc/sa.json)`.
    public var description: String {
        switch self {
        case .applicationDefault, .metadata:
            return typeName
        case .serviceAccountFile(let path):
            return "\(typeName) (path \(path))"
        case .serviceAccountJSON(let variable):
            return "\(typeName) (json_env \(variable))"
        case .accessTokenEnvironment(let variable):
            return "\(typeName) (env \(variable))"
        case .impersonate(let target, let delegates, let lifetime, let source):
            var text = "\(typeName) (target_service_account \(target)"
            if !delegates.isEmpty { text += ", delegates \(delegates.joined(separator: ", "))" }
            text += ", lifetime \(DurationSyntax.format(lifetime)), source \(source))"
            return text
        }
    }
}
