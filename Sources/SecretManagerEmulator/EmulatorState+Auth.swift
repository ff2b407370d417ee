import Foundation

/// The authentication endpoints' work inside the state actor: grants, tokens, checks and
/// their counters.
extension EmulatorState {
    /// Checks a Secret Manager request when authentication is on; does nothing otherwise.
    /// A self-signed JWT's outcome counts in ``EmulatorStats/selfSignedJWTs`` or
    /// ``EmulatorStats/selfSignedJWTRefusals``.
    ///
    /// - Parameter requestAuthority: the `Host` (or `:authority`) the request addressed,
    ///   for the `aud` a self-signed JWT may carry.
    /// - Throws: ``GoogleAPIError`` 401 UNAUTHENTICATED or 403 PERMISSION_DENIED.
    func authorize(
        authorization: String?, requestAuthority: String?, method: EmulatorMethod, path: ResourcePath
    ) throws(GoogleAPIError) {
        guard authority.configuration.requireAuthentication else { return }
        let authentication = authenticate(
            authorization: authorization, service: "secretmanager.googleapis.com", requestAuthority: requestAuthority)
        try authority.authorize(authentication, method: method, path: path)
    }

    /// Checks a bearer credential and counts a self-signed JWT's outcome.
    private func authenticate(
        authorization: String?, service: String, requestAuthority: String?
    ) -> EmulatorAuthority.Authentication {
        let authentication = authority.authenticate(
            authorization: authorization,
            audiences: EmulatorAuthority.selfSignedJWTAudiences(service: service, requestAuthority: requestAuthority))
        switch authentication {
        case .selfSignedJWT: counters.recordSelfSignedJWT(accepted: true)
        case .refused(_, true): counters.recordSelfSignedJWT(accepted: false)
        case .accessToken, .refused: break
        }
        return authentication
    }

    /// `POST /token`: the JWT-bearer grant (RFC 7523) or the refresh-token grant (RFC 6749 §6).
    ///
    /// - Parameters:
    ///   - form: the decoded form fields.
    ///   - ownTokenURL: `http://HOST:PORT/token` (`https://` under TLS) as the client addressed the emulator.
    /// - Returns: `{"access_token", "expires_in", "token_type": "Bearer"}`, or the OAuth error.
    func tokenGrant(form: [String: String], ownTokenURL: String) -> Result<JSONValue, OAuthError> {
        let grant: EmulatorAuthority.Grant
        let verified: Result<String, OAuthError>
        switch form["grant_type"] {
        case "urn:ietf:params:oauth:grant-type:jwt-bearer":
            grant = .jwtBearer
            if let assertion = form["assertion"], !assertion.isEmpty {
                verified = authority.verifyAssertion(assertion, ownTokenURL: ownTokenURL)
            } else {
                verified = .failure(.invalidRequest("Missing required parameter: assertion"))
            }
        case "refresh_token":
            grant = .refreshToken
            verified = authority.verifyRefresh(
                clientID: form["client_id"], clientSecret: form["client_secret"], refreshToken: form["refresh_token"])
        default:
            counters.recordToken("unsupported", issued: false)
            return .failure(
                OAuthError(httpStatus: 400, error: "unsupported_grant_type", description: "Invalid grant_type."))
        }
        switch verified {
        case .success(let principal):
            counters.recordToken(grant.rawValue, issued: true)
            let (token, expiresIn) = authority.issue(to: principal)
            return .success(Self.tokenAnswer(token, expiresIn: expiresIn))
        case .failure(let error):
            counters.recordToken(grant.rawValue, issued: false)
            return .failure(error)
        }
    }

    /// `POST /v1/token`: the Security Token Service's token exchange (RFC 8693).
    ///
    /// - Returns: `{"access_token", "issued_token_type", "token_type": "Bearer",
    ///   "expires_in"}` for the federated principal, or the OAuth error; counted under
    ///   the grant `sts` in ``EmulatorStats/tokens`` or ``EmulatorStats/tokenRefusals``.
    func tokenExchange(form: [String: String]) -> Result<JSONValue, OAuthError> {
        let grant = EmulatorAuthority.Grant.tokenExchange.rawValue
        switch authority.verifyTokenExchange(form: form) {
        case .success(let principal):
            counters.recordToken(grant, issued: true)
            let (token, expiresIn) = authority.issue(to: principal)
            return .success(
                .object([
                    ("access_token", .string(token)), ("issued_token_type", .string(EmulatorAuthority.accessTokenType)),
                    ("token_type", .string("Bearer")), ("expires_in", .integer(Int64(expiresIn))),
                ]))
        case .failure(let error):
            counters.recordToken(grant, issued: false)
            return .failure(error)
        }
    }

    /// The metadata server's token for its default service account.
    func metadataToken() -> JSONValue {
        counters.recordToken(EmulatorAuthority.Grant.metadata.rawValue, issued: true)
        let (token, expiresIn) = authority.issue(to: authority.metadataAccount)
        return Self.tokenAnswer(token, expiresIn: expiresIn)
    }

    /// The metadata server's project id.
    func metadataProjectID() -> String {
        authority.metadataProjectID
    }

    /// IAM Credentials `generateAccessToken`; the request is recorded either way. The caller
    /// may authenticate with a self-signed JWT too (`aud` `https://iamcredentials.googleapis.com/`
    /// or the emulator's URL, or the scope).
    ///
    /// - Parameter requestAuthority: the `Host` (or `:authority`) the request addressed.
    /// - Throws: ``GoogleAPIError`` (401, 400, 403, 404).
    func generateAccessToken(
        authorization: String?, requestAuthority: String?, target: String, body: [UInt8]
    ) throws(GoogleAPIError) -> JSONValue {
        let grant = EmulatorAuthority.Grant.impersonation.rawValue
        let authentication = authenticate(
            authorization: authorization, service: "iamcredentials.googleapis.com", requestAuthority: requestAuthority)
        do {
            let answer = try authority.generateAccessToken(authentication: authentication, target: target, body: body)
            counters.recordToken(grant, issued: true)
            return answer
        } catch {
            counters.recordToken(grant, issued: false)
            throw error
        }
    }

    /// Forgets every issued token.
    func revokeTokens() {
        authority.revokeTokens()
    }

    /// Every `generateAccessToken` request since the start or the last reset.
    func impersonations() -> [ImpersonationRecord] {
        authority.impersonations
    }

    private static func tokenAnswer(_ token: String, expiresIn: Int) -> JSONValue {
        .object([
            ("access_token", .string(token)), ("expires_in", .integer(Int64(expiresIn))),
            ("token_type", .string("Bearer")),
        ])
    }
}
