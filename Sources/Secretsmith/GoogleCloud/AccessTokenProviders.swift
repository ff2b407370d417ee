import AsyncHTTPClient
import Foundation
import Logging

/// Makes the ``AccessTokenProvider`` for a credentials configuration (README "Credentials").
///
/// Every provider but `access_token_env` is a ``CachingAccessTokenProvider`` around the
/// credential type's ``AccessTokenSource``, so tokens are cached, refreshed early and
/// obtained once however many requests wait. The manager keeps one provider per
/// ``CredentialsConfiguration``.
///
/// | `type:` | source |
/// |---|---|
/// | `service_account_file`, `service_account_json` | ``SelfSignedJWTSource`` (no exchange), or ``ServiceAccountTokenSource`` (JWT-bearer grant) as an impersonation's source or with `SECRETSMITH_USE_SELF_SIGNED_JWT=false` |
/// | `adc` | ``ApplicationDefaultCredentials``: a key (as above), user, impersonated or external account file, else the metadata server |
/// | `metadata` | ``MetadataServerClient`` |
/// | `impersonate` | ``ImpersonatedTokenSource`` over the `source` credentials' provider |
/// | `access_token_env` | ``EnvironmentAccessTokenProvider`` (no exchange) |
package enum AccessTokenProviders {
    /// Makes a provider. Reads credential files and variables now; makes no network call.
    ///
    /// - Parameters:
    ///   - credentials: the configured credentials.
    ///   - environment: the process environment (`GOOGLE_APPLICATION_CREDENTIALS`,
    ///     `CLOUDSDK_CONFIG`, `HOME`, `GCE_METADATA_HOST`, `GCE_METADATA_TIMEOUT`,
    ///     `SECRETSMITH_IAM_CREDENTIALS_ENDPOINT`, `SECRETSMITH_USE_SELF_SIGNED_JWT`,
    ///     and the variables the configuration names).
    ///   - httpClient: the shared client every token request goes through.
    ///   - logger: for debug lines about tokens obtained and retries (never a token).
    ///   - clock: the time source of token expiry and retry backoff.
    ///   - observer: told the outcome of every token exchange of the provider (and of the
    ///     source providers it impersonates with).
    /// - Throws: ``AuthenticationError``: `.permission` when a key file or variable is
    ///   missing, `.configuration` when it is not usable credentials, names an
    ///   unsupported type, or `SECRETSMITH_USE_SELF_SIGNED_JWT` is not a boolean.
    package static func make(
        for credentials: CredentialsConfiguration, environment: [String: String],
        httpClient: HTTPClient, logger: Logger, clock: SecretManagerClock,
        observer: (any TokenExchangeObserver)? = nil
    ) throws -> any AccessTokenProvider {
        try make(
            for: credentials, environment: environment, httpClient: httpClient, logger: logger, clock: clock,
            observer: observer, impersonationSource: false)
    }

    /// - Parameter impersonationSource: whether the provider's tokens call IAM Credentials
    ///   for an impersonation, where a service account key exchanges its JWT for an
    ///   access token, as Google's libraries do by default.
    private static func make(
        for credentials: CredentialsConfiguration, environment: [String: String],
        httpClient: HTTPClient, logger: Logger, clock: SecretManagerClock,
        observer: (any TokenExchangeObserver)?, impersonationSource: Bool
    ) throws -> any AccessTokenProvider {
        let transport = AuthHTTPTransport(httpClient: httpClient, logger: logger, clock: clock)
        func cached(_ source: any AccessTokenSource) -> any AccessTokenProvider {
            CachingAccessTokenProvider(
                tokenSource: source, credentialType: credentials.typeName, clock: clock, logger: logger,
                observer: observer)
        }
        switch credentials {
        case .accessTokenEnvironment(let variable):
            return EnvironmentAccessTokenProvider(variable: variable, environment: environment)
        case .serviceAccountFile(let path):
            let origin = "service account key file \(path)"
            guard let data = FileManager.default.contents(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw AuthenticationError(
                    source: origin, message: exists ? "the file cannot be read" : "the file does not exist",
                    kind: .permission)
            }
            let key = try ServiceAccountKey(json: Array(data), source: origin)
            return cached(
                try keySource(
                    key, origin: origin, environment: environment, transport: transport,
                    impersonationSource: impersonationSource))
        case .serviceAccountJSON(let variable):
            let origin = "environment variable \(variable)"
            guard let json = environment[variable], !json.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw AuthenticationError(source: origin, message: "the variable is unset or empty", kind: .permission)
            }
            let key = try ServiceAccountKey(json: Array(json.utf8), source: origin)
            return cached(
                try keySource(
                    key, origin: origin, environment: environment, transport: transport,
                    impersonationSource: impersonationSource))
        case .metadata:
            return cached(MetadataServerClient(environment: environment, transport: transport))
        case .applicationDefault:
            switch try ApplicationDefaultCredentials.locate(environment: environment) {
            case .file(let file, let origin):
                return cached(
                    try tokenSource(
                        for: file, origin: origin, environment: environment, transport: transport,
                        impersonationSource: impersonationSource, cached: cached))
            case .metadataServer(let tried):
                return cached(MetadataServerClient(environment: environment, transport: transport, triedBefore: tried))
            }
        case .impersonate(let target, let delegates, let lifetime, let source):
            let sourceProvider = try make(
                for: source, environment: environment, httpClient: httpClient, logger: logger, clock: clock,
                observer: observer, impersonationSource: true)
            let base = environment[ImpersonatedTokenSource.baseURLVariable].flatMap { $0.isEmpty ? nil : $0 }
                ?? ImpersonatedTokenSource.defaultBaseURL
            return cached(
                ImpersonatedTokenSource(
                    targetServiceAccount: target, delegates: delegates, lifetime: lifetime, baseURL: base,
                    sourceProvider: sourceProvider, transport: transport))
        }
    }

    /// The token source of a credentials file found by Application Default Credentials.
    ///
    /// An `external_account` file with `service_account_impersonation_url` is two cached
    /// steps: the STS exchange (whose federated token lives as long as STS says) and the
    /// impersonation that uses it, each refreshed before it expires.
    static func tokenSource(
        for file: GoogleCredentialsFile, origin: String, environment: [String: String], transport: AuthHTTPTransport,
        impersonationSource: Bool = false, cached: (any AccessTokenSource) -> any AccessTokenProvider
    ) throws -> any AccessTokenSource {
        switch file {
        case .serviceAccount(let key):
            return try keySource(
                key, origin: origin, environment: environment, transport: transport,
                impersonationSource: impersonationSource)
        case .authorizedUser(let user):
            return AuthorizedUserTokenSource(credentials: user, origin: origin, transport: transport)
        case .impersonatedServiceAccount(let url, let target, let delegates, let source):
            let sourceProvider = cached(
                try tokenSource(
                    for: source, origin: "\(origin) source_credentials", environment: environment, transport: transport,
                    impersonationSource: true, cached: cached))
            return ImpersonatedTokenSource(
                targetServiceAccount: target, delegates: delegates, lifetime: .seconds(3600), url: url,
                sourceProvider: sourceProvider, transport: transport)
        case .externalAccount(let credentials):
            let exchange = ExternalAccountTokenSource(
                credentials: credentials, origin: origin, environment: environment, transport: transport)
            guard let url = credentials.serviceAccountImpersonationURL, let target = credentials.impersonatedServiceAccount
            else { return exchange }
            var impersonation = ImpersonatedTokenSource(
                targetServiceAccount: target, delegates: [], lifetime: .seconds(credentials.tokenLifetimeSeconds ?? 3600),
                url: url, sourceProvider: cached(exchange), transport: transport)
            impersonation.quotaProject = credentials.quotaProjectID
            return impersonation
        }
    }

    /// The token source of a service account key: a ``SelfSignedJWTSource`` (no network
    /// call), or the JWT-bearer exchange of ``ServiceAccountTokenSource`` for an
    /// impersonation's source credentials and when `SECRETSMITH_USE_SELF_SIGNED_JWT` is
    /// `false`.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when the variable is not a boolean.
    static func keySource(
        _ key: ServiceAccountKey, origin: String, environment: [String: String], transport: AuthHTTPTransport,
        impersonationSource: Bool
    ) throws -> any AccessTokenSource {
        if !impersonationSource, try SelfSignedJWTSource.isEnabled(environment: environment) {
            return SelfSignedJWTSource(key: key, origin: origin)
        }
        return ServiceAccountTokenSource(key: key, origin: origin, transport: transport)
    }
}
