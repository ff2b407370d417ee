import AsyncHTTPClient
import Foundation
import NIOCore

/// Tokens for workload identity federation: a subject token from the file's
/// `credential_source`, exchanged at its `token_url` (Google's Security Token Service) for
/// a federated access token, per OAuth 2.0 Token Exchange (RFC 8693 §2.1;
/// <https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token>).
///
/// `POST token_url`, `application/x-www-form-urlencoded`, fields in this order:
/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, `audience`, `scope`
/// (`https://www.googleapis.com/auth/cloud-platform`),
/// `requested_token_type=urn:ietf:params:oauth:token-type:access_token`, `subject_token`,
/// `subject_token_type`, and `options` (the JSON `{"userProject": …}`, percent-encoded, for
/// a workforce pool with `workforce_pool_user_project` and no client id). With `client_id`,
/// the client authenticates with HTTP Basic (`client_id:client_secret`). The answer is
/// `{"access_token", "issued_token_type", "token_type": "Bearer", "expires_in"}` or OAuth's
/// `{"error", "error_description"}`.
///
/// A new subject token is read for every exchange (files and URLs change as their
/// environment renews them). The subject token never appears in an error: a server
/// description that echoes it is redacted.
package struct ExternalAccountTokenSource: AccessTokenSource {
    package static let grantType = "urn:ietf:params:oauth:grant-type:token-exchange"
    package static let requestedTokenType = "urn:ietf:params:oauth:token-type:access_token"

    package let credentials: ExternalAccountCredentials
    package let source: String
    package var tokenEndpoint: String? { credentials.tokenURL }
    package var quotaProject: String? { credentials.quotaProjectID }
    let retriever: SubjectTokenRetriever
    let transport: AuthHTTPTransport

    /// - Parameters:
    ///   - credentials: the parsed file.
    ///   - origin: where the file came from, e.g. `GOOGLE_APPLICATION_CREDENTIALS file /tmp/gha-creds.json`.
    ///   - environment: the process environment (`GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES`,
    ///     and what an executable source inherits).
    ///   - transport: the HTTP transport with its retry policy.
    package init(
        credentials: ExternalAccountCredentials, origin: String, environment: [String: String],
        transport: AuthHTTPTransport
    ) {
        let name = "\(origin) (workload identity federation, audience \(credentials.audience))"
        self.credentials = credentials
        self.source = name
        self.transport = transport
        self.retriever = SubjectTokenRetriever(
            configuration: credentials.credentialSource, credentials: credentials, source: name,
            environment: environment, transport: transport)
    }

    /// The form fields of an exchange of `subjectToken`, in the order they are sent.
    package func exchangeFields(subjectToken: String) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("grant_type", Self.grantType), ("audience", credentials.audience),
            ("scope", JWTBearerAssertion.cloudPlatformScope), ("requested_token_type", Self.requestedTokenType),
            ("subject_token", subjectToken), ("subject_token_type", credentials.subjectTokenType),
        ]
        // Google's libraries leave the user project out when a client id identifies it.
        if let project = credentials.workforcePoolUserProject, credentials.clientID == nil {
            let object = (try? JSONSerialization.data(withJSONObject: ["userProject": project], options: [.sortedKeys])) ?? Data()
            // Percent-encoded before the form encoding, as Google's libraries send it.
            fields.append(("options", AuthHTTPTransport.formEncode(String(decoding: object, as: UTF8.self))))
        }
        return fields
    }

    /// The exchange request for `subjectToken`.
    package func exchangeRequest(subjectToken: String) -> HTTPClientRequest {
        var request = AuthHTTPTransport.formRequest(url: credentials.tokenURL, fields: exchangeFields(subjectToken: subjectToken))
        if let clientID = credentials.clientID {
            let pair = "\(clientID):\(credentials.clientSecret ?? "")"
            request.headers.add(name: "Authorization", value: "Basic \(Data(pair.utf8).base64EncodedString())")
        }
        return request
    }

    /// - Throws: ``AuthenticationError`` naming the credentials file: the subject token
    ///   source's errors (`.permission` when it is missing or refused, `.configuration`
    ///   for an executable that is not allowed); `.permission` when STS refuses the
    ///   exchange (its OAuth `error` and `error_description` quoted, e.g. `invalid_grant`);
    ///   `.unavailable` when STS cannot be reached after retries.
    package func fetchToken() async throws -> FetchedAccessToken {
        let subjectToken = try await retriever.subjectToken()
        let endpoint = "Security Token Service \(credentials.tokenURL)"
        do {
            let answer = try await transport.send(exchangeRequest(subjectToken: subjectToken), source: source, endpoint: endpoint)
            return try OAuthTokenResponse.token(from: answer, source: source, endpoint: endpoint)
        } catch var error as AuthenticationError {
            error.message = Self.redacting(subjectToken, in: error.message)
            throw error
        }
    }

    /// `text` with every occurrence of `secret` (and of its longer halves, which a
    /// truncated server message may hold) replaced by `<redacted>`.
    static func redacting(_ secret: String, in text: String) -> String {
        guard secret.count >= 8 else { return text }
        var result = text.replacingOccurrences(of: secret, with: "<redacted>")
        let half = secret.count / 2
        for piece in [String(secret.prefix(half)), String(secret.suffix(half))] where piece.count >= 8 {
            result = result.replacingOccurrences(of: piece, with: "<redacted>")
        }
        return result
    }
}
