import Foundation
import Secretsmith
import _CryptoExtras

/// The emulator's side of Google authentication: the accounts and users of the seed, the
/// tokens it issued, and the checks of the Secret Manager routes when authentication is on.
///
/// Owned by ``EmulatorState`` (an actor), so every change is serialised. Tokens look like
/// Google's (`ya29.` followed by random text) and live ``EmulatorConfiguration/tokenLifetime``.
struct EmulatorAuthority: Sendable {
    /// The kinds of token grants, as counted in ``EmulatorStats/tokens``.
    enum Grant: String, Sendable {
        case jwtBearer = "jwt-bearer"
        case refreshToken = "refresh_token"
        case metadata
        case impersonation = "generateAccessToken"
        case tokenExchange = "sts"
    }

    /// A token the emulator issued.
    struct IssuedToken: Sendable {
        var principal: String
        var expiresAt: Date
    }

    /// Where a secret's `access` list applies.
    private struct SecretKey: Hashable {
        var projectID: String
        var location: String?
        var secretID: String
    }

    let configuration: EmulatorConfiguration
    private let keys: [String: AssertionVerifier.Key]
    private let accounts: [String: EmulatorSeed.ServiceAccount]
    private let usersByRefreshToken: [String: EmulatorSeed.AuthorizedUser]
    /// Workload identity pool providers by audience.
    let workloadIdentityProviders: [String: EmulatorSeed.WorkloadIdentityProvider]
    /// The metadata server's account and project.
    let metadataAccount: String
    let metadataProjectID: String
    private let projectIDsByName: [String: String]
    private let projectAccess: [String: Set<String>]
    private let secretAccess: [SecretKey: Set<String>]
    private var issued: [String: IssuedToken] = [:]
    /// Every `generateAccessToken` request, in order.
    private(set) var impersonations: [ImpersonationRecord] = []

    /// Forgets every issued token, so the next request with one is answered 401 (as after
    /// a revocation).
    mutating func revokeTokens() {
        issued = [:]
    }

    /// Empties ``impersonations``.
    mutating func forgetImpersonations() {
        impersonations = []
    }
    private let wallClock: @Sendable () -> Date

    /// - Parameters:
    ///   - seed: accounts, users, metadata settings and `access` lists.
    ///   - configuration: token lifetime, clock offset, audiences, whether routes require tokens.
    ///   - wallClock: the time source (tests may fix it); the clock offset is added to it.
    init(seed: EmulatorSeed, configuration: EmulatorConfiguration, wallClock: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.wallClock = wallClock
        var keys: [String: AssertionVerifier.Key] = [:]
        var accounts: [String: EmulatorSeed.ServiceAccount] = [:]
        for account in seed.serviceAccounts {
            accounts[account.email] = account
            // The seed parser already checked the PEM.
            if let pem = account.publicKeyPEM, let key = try? _RSA.Signing.PublicKey(pemRepresentation: pem) {
                keys[account.email] = AssertionVerifier.Key(keyID: account.privateKeyID, publicKey: key)
            }
        }
        self.keys = keys
        self.accounts = accounts
        usersByRefreshToken = Dictionary(seed.authorizedUsers.map { ($0.refreshToken, $0) }, uniquingKeysWith: { first, _ in first })
        workloadIdentityProviders = Dictionary(
            seed.workloadIdentityProviders.map { ($0.audience, $0) }, uniquingKeysWith: { first, _ in first })
        let project = seed.metadata?.projectID ?? seed.projects.first?.id ?? "emulator-project"
        metadataProjectID = project
        metadataAccount = seed.metadata?.serviceAccount ?? "default@\(project).iam.gserviceaccount.com"
        var names: [String: String] = [:]
        var projectAccess: [String: Set<String>] = [:]
        var secretAccess: [SecretKey: Set<String>] = [:]
        for project in seed.projects {
            names[project.id] = project.id
            names[String(project.number)] = project.id
            if let access = project.access { projectAccess[project.id] = Set(access) }
            let located = project.secrets.map { (nil as String?, $0) }
                + project.locations.flatMap { location in location.secrets.map { (location.name as String?, $0) } }
            for (location, secret) in located {
                if let access = secret.access {
                    secretAccess[SecretKey(projectID: project.id, location: location, secretID: secret.id)] = Set(access)
                }
            }
        }
        projectIDsByName = names
        self.projectAccess = projectAccess
        self.secretAccess = secretAccess
    }

    /// The emulator's idea of now: the wall clock plus the configured offset.
    var now: Date { wallClock().addingTimeInterval(configuration.clockOffset.secondsDouble) }

    /// Issues a token for `principal`.
    ///
    /// - Parameter lifetime: at most the configured token lifetime.
    /// - Returns: the token and its lifetime in whole seconds.
    mutating func issue(to principal: String, lifetime: Duration? = nil) -> (token: String, expiresIn: Int) {
        let seconds = max(1, Int(min(lifetime ?? configuration.tokenLifetime, configuration.tokenLifetime).secondsDouble.rounded()))
        var generator = SystemRandomNumberGenerator()
        let random = (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let token = "ya29.emulator-\(random)"
        let current = now
        issued = issued.filter { $0.value.expiresAt > current }
        issued[token] = IssuedToken(principal: principal, expiresAt: current.addingTimeInterval(Double(seconds)))
        return (token, seconds)
    }

    /// The JWT-bearer grant.
    ///
    /// - Parameter ownTokenURL: `http://HOST:PORT/token` (`https://` under TLS) as the request reached the emulator.
    /// - Returns: the service account's email, or the OAuth error to answer.
    func verifyAssertion(_ assertion: String, ownTokenURL: String) -> Result<String, OAuthError> {
        let audiences = Set(
            configuration.tokenAudiences
                ?? [ownTokenURL, "https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token"])
        return AssertionVerifier.verify(assertion, keys: keys, audiences: audiences, now: now)
    }

    /// The refresh-token grant.
    ///
    /// - Returns: the user's email, or the OAuth error to answer.
    func verifyRefresh(clientID: String?, clientSecret: String?, refreshToken: String?) -> Result<String, OAuthError> {
        guard let refreshToken, let user = usersByRefreshToken[refreshToken] else {
            return .failure(.invalidGrant("Token has been expired or revoked."))
        }
        guard clientID == user.clientID, clientSecret == user.clientSecret else {
            return .failure(OAuthError(httpStatus: 401, error: "invalid_client", description: "The OAuth client was not found."))
        }
        return .success(user.email)
    }

    /// How a request's `Authorization` header was checked.
    enum Authentication: Sendable {
        /// An access token this emulator issued, still valid.
        case accessToken(principal: String)
        /// A self-signed JWT of a seeded service account (``SelfSignedJWTVerifier``).
        case selfSignedJWT(principal: String)
        /// Missing, unknown, expired or invalid: the 401 to answer; `selfSignedJWT` when
        /// the header carried a JWT.
        case refused(GoogleAPIError, selfSignedJWT: Bool)

        /// The authenticated principal, if any.
        var principal: String? {
            switch self {
            case .accessToken(let principal), .selfSignedJWT(let principal): principal
            case .refused: nil
            }
        }

        /// The principal, or the refusal.
        func requirePrincipal() throws(GoogleAPIError) -> String {
            switch self {
            case .accessToken(let principal), .selfSignedJWT(let principal): return principal
            case .refused(let error, _): throw error
            }
        }
    }

    /// Checks a bearer credential: an access token this emulator issued, or a self-signed
    /// JWT of a seeded service account.
    ///
    /// - Parameters:
    ///   - authorization: the `Authorization` header.
    ///   - audiences: the `aud` values a self-signed JWT may carry
    ///     (``selfSignedJWTAudiences(service:requestAuthority:)``).
    func authenticate(authorization: String?, audiences: Set<String>) -> Authentication {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            return .refused(Self.unauthenticated, selfSignedJWT: false)
        }
        let token = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        if let record = issued[token] {
            return record.expiresAt > now
                ? .accessToken(principal: record.principal) : .refused(Self.unauthenticated, selfSignedJWT: false)
        }
        guard SelfSignedJWTVerifier.looksLikeJWT(token) else { return .refused(Self.unauthenticated, selfSignedJWT: false) }
        switch SelfSignedJWTVerifier.verify(token, keys: keys, audiences: audiences, now: now) {
        case .success(let principal):
            return .selfSignedJWT(principal: principal)
        case .failure(let refusal):
            let error = GoogleAPIError(
                httpStatus: 401, status: "UNAUTHENTICATED",
                message: "Request had invalid authentication credentials: \(refusal.reason).")
            return .refused(error, selfSignedJWT: true)
        }
    }

    /// The `aud` values a self-signed JWT may carry on a request to `service`: the API's
    /// own URL (`https://secretmanager.googleapis.com/`, as Google's libraries send it),
    /// and the emulator's `http://HOST:PORT/` and `https://HOST:PORT/` as the request
    /// addressed it (`Host` or `:authority`).
    static func selfSignedJWTAudiences(service: String, requestAuthority: String?) -> Set<String> {
        var audiences: Set<String> = ["https://\(service)/"]
        if let requestAuthority, !requestAuthority.isEmpty {
            audiences.insert("http://\(requestAuthority)/")
            audiences.insert("https://\(requestAuthority)/")
        }
        return audiences
    }

    /// Google's answer for a missing or invalid token.
    static let unauthenticated = GoogleAPIError(
        httpStatus: 401, status: "UNAUTHENTICATED",
        message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
            + "or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")

    /// Checks a Secret Manager request when authentication is on: a valid token or
    /// self-signed JWT, and the principal on the secret's `access` list (else the
    /// project's, else anyone).
    ///
    /// - Throws: ``GoogleAPIError`` 401 UNAUTHENTICATED or 403 PERMISSION_DENIED.
    func authorize(_ authentication: Authentication, method: EmulatorMethod, path: ResourcePath) throws(GoogleAPIError) {
        let principal = try authentication.requirePrincipal()
        guard let projectID = projectIDsByName[path.project] else { return }
        var allowed = projectAccess[projectID]
        if let secretID = path.secretID,
            let list = secretAccess[SecretKey(projectID: projectID, location: path.location, secretID: secretID)]
        {
            allowed = list
        }
        guard let allowed, !Self.isListed(principal, in: allowed) else { return }
        throw GoogleAPIError.permissionDenied(permission: method.permission, resource: path.requestedName)
    }

    /// IAM Credentials `generateAccessToken`: checks the caller's token, the target, the
    /// chain of token creators and the body, records the request, and issues a token.
    ///
    /// - Parameters:
    ///   - authentication: the caller's checked `Authorization` header.
    ///   - target: the email in the URL.
    ///   - body: the JSON body.
    /// - Returns: `{"accessToken", "expireTime"}`.
    /// - Throws: ``GoogleAPIError``: 401, 400 INVALID_ARGUMENT, 404 NOT_FOUND, 403 PERMISSION_DENIED.
    mutating func generateAccessToken(authentication: Authentication, target: String, body: [UInt8]) throws(GoogleAPIError)
        -> JSONValue
    {
        let caller = authentication.principal
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let delegates = object?["delegates"] as? [String] ?? []
        let scope = object?["scope"] as? [String] ?? []
        let lifetime = object?["lifetime"] as? String
        var record = ImpersonationRecord(
            caller: caller, target: target, delegates: delegates, scope: scope, lifetime: lifetime, status: 200)
        do throws(GoogleAPIError) {
            if case .refused(let error, _) = authentication { throw error }
            let result = try mint(caller: caller, target: target, object: object, delegates: delegates, scope: scope, lifetime: lifetime)
            impersonations.append(record)
            return result
        } catch {
            record.status = error.httpStatus
            impersonations.append(record)
            throw error
        }
    }

    private mutating func mint(
        caller: String?, target: String, object: [String: Any]?, delegates: [String], scope: [String], lifetime: String?
    ) throws(GoogleAPIError) -> JSONValue {
        guard let caller else { throw Self.unauthenticated }
        guard object != nil else { throw .invalidArgument("Invalid JSON payload received.") }
        guard !scope.isEmpty else { throw .invalidArgument("Scope is required.") }
        var seconds = 3600.0
        if let lifetime {
            guard lifetime.hasSuffix("s"), let value = Double(lifetime.dropLast()), value > 0, value <= 43_200 else {
                throw .invalidArgument("Invalid value at 'lifetime': \(lifetime) (between 1s and 43200s).")
            }
            seconds = value
        }
        var chain = [caller]
        for delegate in delegates {
            let prefix = "projects/-/serviceAccounts/"
            let email = delegate.hasPrefix(prefix) ? String(delegate.dropFirst(prefix.count)) : delegate
            guard accounts[email] != nil else {
                throw .notFound("Requested entity was not found: delegate \(email).")
            }
            chain.append(email)
        }
        guard accounts[target] != nil else { throw .notFound("Requested entity was not found: service account \(target).") }
        chain.append(target)
        for (granter, account) in zip(chain, chain.dropFirst()) {
            if let creators = accounts[account]?.tokenCreators, !Self.isListed(granter, in: creators) {
                throw GoogleAPIError(
                    httpStatus: 403, status: "PERMISSION_DENIED",
                    message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist): "
                        + "\(granter) may not create tokens for projects/-/serviceAccounts/\(account).")
            }
        }
        let (token, expiresIn) = issue(to: target, lifetime: .milliseconds(Int64(seconds * 1000)))
        let expireTime = Self.rfc3339(now.addingTimeInterval(Double(expiresIn)))
        return .object([("accessToken", .string(token)), ("expireTime", .string(expireTime))])
    }

    /// Whether `principal` is on `list`: by name, or (a federated principal
    /// `principal://iam.googleapis.com/POOL/subject/S`) through its pool's
    /// `principalSet://iam.googleapis.com/POOL/*`.
    static func isListed(_ principal: String, in list: some Sequence<String>) -> Bool {
        let federated = "principal://iam.googleapis.com/"
        var poolSet: String?
        if principal.hasPrefix(federated), let range = principal.range(of: "/subject/") {
            poolSet = "principalSet://iam.googleapis.com/"
                + principal[principal.index(principal.startIndex, offsetBy: federated.count)..<range.lowerBound] + "/*"
        }
        return list.contains { $0 == principal || $0 == poolSet }
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
