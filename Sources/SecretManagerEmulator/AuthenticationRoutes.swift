import Foundation
import Hummingbird
import NIOCore

/// The authentication endpoints Google's auth libraries call: the OAuth token endpoint, the
/// Security Token Service, the metadata server and IAM Credentials `generateAccessToken`.
/// Counted and faulted like API methods (methods `oauthToken`, `stsToken`, `metadataPing`,
/// `metadataToken`, `metadataProjectID`, `generateAccessToken`).
struct AuthenticationRoutes {
    let state: EmulatorState
    /// `http` or `https`: how clients reach the emulator, so the audience a JWT-bearer
    /// assertion must name is the token URL as the client's key file gives it.
    var scheme = "http"

    static let tokenPath = "/token"
    /// The Security Token Service's path (`https://sts.googleapis.com/v1/token`).
    static let stsTokenPath = "/v1/token"
    static let metadataTokenPath = "computeMetadata/v1/instance/service-accounts/default/token"
    static let metadataProjectIDPath = "computeMetadata/v1/project/project-id"

    /// Adds the routes to `router`, each behind its ``RouteMiddleware`` and `faults`.
    func register(on router: Router<EmulatorRequestContext>, faults: FaultInjectionMiddleware) {
        let state = self.state
        let scheme = self.scheme
        router.group()
            .add(middleware: RouteMiddleware.authentication(.oauthToken, resource: "token"))
            .add(middleware: faults)
            .post(RouterPath(Self.tokenPath)) { request, _ in await Self.token(request, scheme: scheme, state: state) }
        router.group()
            .add(middleware: RouteMiddleware.authentication(.stsToken, resource: "sts/token"))
            .add(middleware: faults)
            .post(RouterPath(Self.stsTokenPath)) { request, _ in await Self.stsToken(request, state: state) }

        // The metadata server: `GET /` with `Metadata-Flavor` is a presence probe; without
        // the header, `/` is an unknown path.
        let ping = RouteMiddleware { request, _ in
            guard request.headers[MetadataFlavorMiddleware.name] != nil else { throw NoRoute() }
            return EmulatorCall(method: .metadataPing, resource: "computeMetadata")
        }
        router.group().add(middleware: ping).add(middleware: MetadataFlavorMiddleware()).add(middleware: faults)
            .get("/") { _, _ in WireResponse.text("computeMetadata/\n") }
        for (path, method) in [(Self.metadataTokenPath, EmulatorMethod.metadataToken), (Self.metadataProjectIDPath, .metadataProjectID)] {
            router.group()
                .add(middleware: RouteMiddleware.authentication(method, resource: path))
                .add(middleware: MetadataFlavorMiddleware())
                .add(middleware: faults)
                .get(RouterPath(path)) { request, _ in
                    guard request.headers[MetadataFlavorMiddleware.name] == "Google" else {
                        return WireResponse.text("Missing required header \"Metadata-Flavor\": \"Google\"\n", status: 403)
                    }
                    if method == .metadataProjectID {
                        return WireResponse.text(await state.metadataProjectID())
                    }
                    return WireResponse.json(await state.metadataToken(), contentType: "application/json")
                }
        }

        let impersonation = RouteMiddleware { _, context in
            guard let raw = context.parameters.get("account"), let account = raw.removingPercentEncoding,
                !account.isEmpty, !account.contains("/")
            else { throw NoRoute() }
            return EmulatorCall(
                method: .generateAccessToken, resource: "projects/-/serviceAccounts/\(account)", serviceAccount: account)
        }
        router.group().add(middleware: impersonation).add(middleware: faults)
            .post("v1/projects/-/serviceAccounts/{account}:generateAccessToken") { request, context in
                var request = request
                guard let body = try? await request.collectBody(upTo: EmulatorRouter.maxBodyBytes) else {
                    return WireResponse.error(.invalidArgument("The request body could not be read."))
                }
                do {
                    let answer = try await state.generateAccessToken(
                        authorization: request.headers[.authorization], requestAuthority: request.head.authority,
                        target: context.call?.serviceAccount ?? "",
                        body: Array(buffer: body))
                    return WireResponse.json(answer)
                } catch let error as GoogleAPIError {
                    return WireResponse.authorizationError(error)
                } catch {
                    return WireResponse.error(GoogleAPIError(httpStatus: 500, status: "INTERNAL", message: "Internal error."))
                }
            }
    }

    /// `POST /token`: the JWT-bearer and refresh-token grants.
    private static func token(_ request: Request, scheme: String, state: EmulatorState) async -> Response {
        var request = request
        guard let body = try? await request.collectBody(upTo: EmulatorRouter.maxBodyBytes) else {
            return OAuthError.invalidRequest("The request body could not be read.").response
        }
        let form = formFields(String(decoding: body.readableBytesView, as: UTF8.self))
        let ownTokenURL = "\(scheme)://\(request.head.authority ?? "127.0.0.1")\(tokenPath)"
        switch await state.tokenGrant(form: form, ownTokenURL: ownTokenURL) {
        case .success(let answer): return WireResponse.json(answer, contentType: "application/json")
        case .failure(let error): return error.response
        }
    }

    /// `POST /v1/token`: the RFC 8693 token exchange, form-encoded as Google's libraries send it.
    private static func stsToken(_ request: Request, state: EmulatorState) async -> Response {
        var request = request
        guard let body = try? await request.collectBody(upTo: EmulatorRouter.maxBodyBytes) else {
            return OAuthError.invalidRequest("The request body could not be read.").response
        }
        let form = formFields(String(decoding: body.readableBytesView, as: UTF8.self))
        switch await state.tokenExchange(form: form) {
        case .success(let answer): return WireResponse.json(answer, contentType: "application/json")
        case .failure(let error): return error.response
        }
    }

    /// Decodes an `application/x-www-form-urlencoded` body (`+` is a space). A repeated
    /// name keeps its first value.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            if fields[name] == nil {
                fields[name] = parts.count > 1 ? decode(parts[1]) : ""
            }
        }
        return fields
    }
}
