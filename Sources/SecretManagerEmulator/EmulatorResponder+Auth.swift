import Foundation
import Hummingbird
import Logging
import NIOCore

/// The authentication endpoints: the OAuth token endpoint, the metadata server and IAM
/// Credentials `generateAccessToken` (GCP-WIRE.md). Counted and faulted like API methods
/// (methods `oauthToken`, `metadataPing`, `metadataToken`, `metadataProjectID`,
/// `generateAccessToken`).
extension EmulatorResponder {
    /// An authentication route and the resource name it is counted under.
    struct AuthRoute: Sendable {
        var method: EmulatorMethod
        var resource: String
        /// The service account of `generateAccessToken`.
        var target: String?
    }

    static let metadataFlavor = HTTPFields.Element.Name("Metadata-Flavor")!
    static let tokenPath = "/token"
    static let metadataTokenPath = "/computeMetadata/v1/instance/service-accounts/default/token"
    static let metadataProjectIDPath = "/computeMetadata/v1/project/project-id"

    /// The authentication route of a request, or `nil` when it is not one.
    static func authRoute(_ request: Request) -> AuthRoute? {
        let path = request.uri.path
        switch (request.method, path) {
        case (.post, tokenPath):
            return AuthRoute(method: .oauthToken, resource: "token")
        case (.get, "/") where request.headers[metadataFlavor] != nil:
            return AuthRoute(method: .metadataPing, resource: "computeMetadata")
        case (.get, metadataTokenPath):
            return AuthRoute(method: .metadataToken, resource: String(path.dropFirst()))
        case (.get, metadataProjectIDPath):
            return AuthRoute(method: .metadataProjectID, resource: String(path.dropFirst()))
        default:
            break
        }
        let prefix = "/v1/projects/-/serviceAccounts/"
        let suffix = ":generateAccessToken"
        if request.method == .post, path.hasPrefix(prefix), path.hasSuffix(suffix) {
            let raw = path.dropFirst(prefix.count).dropLast(suffix.count)
            guard let target = String(raw).removingPercentEncoding, !target.isEmpty, !target.contains("/") else { return nil }
            return AuthRoute(method: .generateAccessToken, resource: "projects/-/serviceAccounts/\(target)", target: target)
        }
        return nil
    }

    /// Answers an authentication request: counts it, applies faults, then serves it.
    func auth(_ request: Request, route: AuthRoute, context: Context) async throws -> Response {
        let plan = await state.begin(route.method, resource: route.resource)
        var metadata: Logger.Metadata = ["emulator.method": "\(route.method)", "emulator.resource": "\(route.resource)"]
        if !plan.firedKinds.isEmpty {
            metadata["emulator.faults"] = "\(plan.firedKinds.joined(separator: ","))"
        }
        let delay = plan.latency + plan.stall
        if delay > .zero {
            try await Task.sleep(for: delay)
        }
        var response: Response
        switch plan.outcome {
        case .dropConnection:
            logger.debug("Dropping the connection (injected fault)", metadata: metadata)
            try? await context.channel.close()
            throw ConnectionDropped()
        case .error(let error):
            response = WireResponse.error(error)
        case nil:
            response = await serve(request, route: route)
        }
        if [.metadataPing, .metadataToken, .metadataProjectID].contains(route.method) {
            response.headers[Self.metadataFlavor] = "Google"
        }
        metadata["http.status"] = "\(response.status.code)"
        logger.debug("Answered an authentication request", metadata: metadata)
        await state.recordStatus(response.status.code)
        return response
    }

    private func serve(_ request: Request, route: AuthRoute) async -> Response {
        switch route.method {
        case .metadataPing:
            return WireResponse.text("computeMetadata/\n")
        case .metadataToken, .metadataProjectID:
            guard request.headers[Self.metadataFlavor] == "Google" else {
                return WireResponse.text("Missing required header \"Metadata-Flavor\": \"Google\"\n", status: 403)
            }
            if route.method == .metadataProjectID {
                return WireResponse.text(await state.metadataProjectID())
            }
            return WireResponse.json(await state.metadataToken(), contentType: "application/json")
        case .generateAccessToken:
            var request = request
            guard let body = try? await request.collectBody(upTo: Self.maxBodyBytes) else {
                return WireResponse.error(.invalidArgument("The request body could not be read."))
            }
            do {
                let answer = try await state.generateAccessToken(
                    authorization: request.headers[.authorization], target: route.target ?? "", body: Array(buffer: body))
                return WireResponse.json(answer)
            } catch {
                return Self.errorResponse(error)
            }
        default:
            var request = request
            guard let body = try? await request.collectBody(upTo: Self.maxBodyBytes) else {
                return OAuthError.invalidRequest("The request body could not be read.").response
            }
            let form = Self.formFields(String(decoding: body.readableBytesView, as: UTF8.self))
            let ownTokenURL = "http://\(request.head.authority ?? "127.0.0.1")\(Self.tokenPath)"
            switch await state.tokenGrant(form: form, ownTokenURL: ownTokenURL) {
            case .success(let answer): return WireResponse.json(answer, contentType: "application/json")
            case .failure(let error): return error.response
            }
        }
    }

    /// An error in Google's envelope; a 401 carries `WWW-Authenticate` as Google's does.
    static func errorResponse(_ error: GoogleAPIError) -> Response {
        var response = WireResponse.error(error)
        if error.httpStatus == 401 {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"https://accounts.google.com/\""
        }
        return response
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
