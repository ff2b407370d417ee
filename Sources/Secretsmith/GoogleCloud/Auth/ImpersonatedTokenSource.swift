import AsyncHTTPClient
import Foundation
import NIOCore

/// Tokens for a service account impersonated through IAM Credentials `generateAccessToken`
/// (<https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken>).
///
/// `POST {base}/v1/projects/-/serviceAccounts/TARGET:generateAccessToken` with the source
/// credentials' token and `{"delegates": [...], "lifetime": "3600s", "scope": [...]}`; the
/// answer `{"accessToken": "...", "expireTime": "2026-11-29T13:00:00Z"}` is used until shortly
/// before `expireTime`. Each delegate must be allowed to create tokens for the next, the
/// last for the target. A 401 (the source token expired or was revoked) drops the source
/// token and tries once more.
package struct ImpersonatedTokenSource: AccessTokenSource {
    /// IAM Credentials' production base URL.
    package static let defaultBaseURL = "https://iamcredentials.googleapis.com"
    /// The environment variable that replaces ``defaultBaseURL`` (for the emulator), e.g.
    /// `http://127.0.0.1:8085`.
    package static let baseURLVariable = "SECRETSMITH_IAM_CREDENTIALS_ENDPOINT"

    /// The impersonated account's email.
    package let targetServiceAccount: String
    /// The delegation chain as resource names, `projects/-/serviceAccounts/EMAIL`.
    package let delegates: [String]
    /// The requested lifetime, whole seconds.
    package let lifetimeSeconds: Int
    /// The full `generateAccessToken` URL.
    package let url: String
    package let source: String
    package var tokenEndpoint: String? { url }
    /// The quota project the credentials file names, for the API requests that use the token.
    package var quotaProject: String?
    let sourceProvider: any AccessTokenProvider
    let transport: AuthHTTPTransport
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - targetServiceAccount: the account to impersonate.
    ///   - delegates: emails or `projects/-/serviceAccounts/EMAIL` names, in chain order.
    ///   - lifetime: the token's requested lifetime (IAM allows 1 h, or 12 h where the
    ///     organization policy extends it).
    ///   - url: the `generateAccessToken` URL; `nil` builds it from the base URL.
    ///   - baseURL: IAM Credentials' base URL (no trailing slash).
    ///   - sourceProvider: the credentials that call IAM Credentials (cached themselves).
    package init(
        targetServiceAccount: String, delegates: [String], lifetime: Duration, url: String? = nil,
        baseURL: String = ImpersonatedTokenSource.defaultBaseURL, sourceProvider: any AccessTokenProvider,
        transport: AuthHTTPTransport, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.targetServiceAccount = targetServiceAccount
        self.delegates = delegates.map { $0.hasPrefix("projects/") ? $0 : "projects/-/serviceAccounts/\($0)" }
        self.lifetimeSeconds = max(1, Int(lifetime.secondsDouble.rounded()))
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.url = url ?? "\(base)/v1/projects/-/serviceAccounts/\(targetServiceAccount):generateAccessToken"
        self.source = "impersonated service account \(targetServiceAccount) (source: \(sourceProvider.source))"
        self.sourceProvider = sourceProvider
        self.transport = transport
        self.now = now
    }

    /// The JSON body sent, keys sorted.
    package var requestBody: [UInt8] {
        let body: [String: Any] = [
            "delegates": delegates, "scope": [JWTBearerAssertion.cloudPlatformScope],
            "lifetime": "\(lifetimeSeconds)s",
        ]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }

    /// - Throws: ``AuthenticationError``: the source credentials' errors as they are;
    ///   `.permission` when IAM Credentials refuses (e.g. PERMISSION_DENIED: the caller lacks
    ///   `iam.serviceAccounts.getAccessToken` on the target or a delegate), `.unavailable`
    ///   when it cannot be reached after retries or answers something else.
    package func fetchToken() async throws -> FetchedAccessToken {
        let endpoint = "IAM Credentials endpoint \(url)"
        var answer: AuthHTTPTransport.Answer
        var attempt = 0
        repeat {
            attempt += 1
            let sourceToken = try await sourceProvider.accessToken()
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(sourceToken)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json")
            request.headers.add(name: "User-Agent", value: "secretsmith/\(SecretsmithVersion.current)")
            request.body = .bytes(ByteBuffer(bytes: requestBody))
            let sentAt = now()
            answer = try await transport.send(request, source: source, endpoint: endpoint)
            if answer.status == 401, attempt == 1 {
                await sourceProvider.invalidate(sourceToken)
                continue
            }
            guard (200..<300).contains(answer.status) else {
                throw OAuthTokenResponse.refusal(answer, source: source, endpoint: endpoint)
            }
            return try Self.token(from: answer.body, sentAt: sentAt, source: source, endpoint: endpoint)
        } while attempt < 2
        throw OAuthTokenResponse.refusal(answer, source: source, endpoint: endpoint)
    }

    private struct Response: Decodable {
        var accessToken: String?
        var expireTime: String?
    }

    /// Reads `{accessToken, expireTime}`; the lifetime is `expireTime` minus the time the
    /// request was sent.
    static func token(from body: [UInt8], sentAt: Date, source: String, endpoint: String) throws -> FetchedAccessToken {
        guard let response = try? JSONDecoder().decode(Response.self, from: Data(body)),
            let token = response.accessToken, !token.isEmpty
        else {
            throw AuthenticationError(
                source: source, message: "the \(endpoint) answered without an accessToken", kind: .unavailable)
        }
        guard let text = response.expireTime, let expiry = RFC3339.date(from: text) else {
            throw AuthenticationError(
                source: source, message: "the \(endpoint) answered without a valid RFC 3339 expireTime",
                kind: .unavailable)
        }
        return FetchedAccessToken(value: token, expiresIn: .secondsDouble(max(0, expiry.timeIntervalSince(sentAt))))
    }
}
