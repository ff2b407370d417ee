import Foundation
import Hummingbird
import Logging
import NIOCore

/// The emulator's routes on Hummingbird's router.
///
/// | routes | middleware (outermost first) |
/// |---|---|
/// | everything | ``NotFoundPageMiddleware`` (Google's HTML 404 for what no route serves) |
/// | `/_emulator/…` (admin group) | none: never counted, never faulted |
/// | `/token`, `/v1/token`, `/computeMetadata/v1/…`, `GET /`, `…:generateAccessToken` | ``RouteMiddleware``, (``MetadataFlavorMiddleware``), ``FaultInjectionMiddleware`` |
/// | `/v1/projects/{project}[/locations/{location}]/secrets…` | ``RouteMiddleware``, ``FaultInjectionMiddleware``, ``AuthenticationMiddleware`` (with `--auth`) |
///
/// Google's custom verbs are captures with a suffix: `versions/{version}:access` matches
/// `versions/4:access` with `version` = `4` (Hummingbird prefers a capture with a suffix
/// over a bare capture). Captures are percent-decoded by ``RouteMiddleware``.
enum EmulatorRouter {
    /// The largest request body read, in bytes (a 64 KiB payload is ~88 KB in base64).
    static let maxBodyBytes = 1 << 20

    /// The router of an emulator over `state`.
    ///
    /// - Parameters:
    ///   - logger: The request log (debug).
    ///   - requireAuthentication: Whether Secret Manager routes check bearer tokens.
    ///   - tls: Whether the emulator serves HTTPS (its own token URL is then `https://…`).
    static func make(
        state: EmulatorState, logger: Logger, requireAuthentication: Bool, tls: Bool = false
    ) -> Router<EmulatorRequestContext> {
        let router = Router(context: EmulatorRequestContext.self)
        router.add(middleware: NotFoundPageMiddleware(state: state, logger: logger))
        AdminRoutes(state: state, logger: logger).register(on: router.group("_emulator"))
        let faults = FaultInjectionMiddleware(state: state, logger: logger)
        AuthenticationRoutes(state: state, scheme: tls ? "https" : "http").register(on: router, faults: faults)

        let authentication: AuthenticationMiddleware? = requireAuthentication ? AuthenticationMiddleware(state: state) : nil
        for base in ["v1/projects/{project}", "v1/projects/{project}/locations/{location}"] {
            let group = router.group(RouterPath(base))
            let routes: [(HTTPRequest.Method, String, EmulatorMethod)] = [
                (.get, "secrets", .listSecrets),
                (.post, "secrets", .createSecret),
                (.get, "secrets/{secret}", .getSecret),
                (.patch, "secrets/{secret}", .updateSecret),
                (.delete, "secrets/{secret}", .deleteSecret),
                (.post, "secrets/{secret}:addVersion", .addVersion),
                (.get, "secrets/{secret}:getIamPolicy", .getIamPolicy),
                (.post, "secrets/{secret}:setIamPolicy", .setIamPolicy),
                (.get, "secrets/{secret}/versions", .listVersions),
                (.get, "secrets/{secret}/versions/{version}", .getVersion),
                (.get, "secrets/{secret}/versions/{version}:access", .access),
                (.post, "secrets/{secret}/versions/{version}:enable", .enable),
                (.post, "secrets/{secret}/versions/{version}:disable", .disable),
                (.post, "secrets/{secret}/versions/{version}:destroy", .destroy),
            ]
            for (httpMethod, path, method) in routes {
                let route = group.group().add(middleware: RouteMiddleware.api(method)).add(middleware: faults)
                if let authentication { route.add(middleware: authentication) }
                route.on(RouterPath(path), method: httpMethod) { request, context in
                    await serveAPI(request, context: context, state: state)
                }
            }
        }
        return router
    }

    /// Validates the name, reads the body and calls the store.
    private static func serveAPI(_ request: Request, context: EmulatorRequestContext, state: EmulatorState) async -> Response {
        guard let call = context.call, let path = call.path else {
            return WireResponse.error(GoogleAPIError(httpStatus: 500, status: "INTERNAL", message: "Internal error."))
        }
        do {
            if let error = path.validationError { throw error }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                throw GoogleAPIError.invalidArgument("The request body is larger than \(maxBodyBytes) bytes or could not be read.")
            }
            let apiRequest = APIRequest(
                method: call.method, path: path, query: QueryParameters(request.uri.query),
                body: Array(buffer: body), wrongChecksum: context.wrongChecksum)
            let (answer, notifications) = try await state.handle(apiRequest)
            // Published before answering (Google delivers asynchronously), so a client that
            // pulls after the answer finds the messages; failures never fail the request.
            if !notifications.isEmpty, let publisher = await state.currentPublisher() {
                await publisher.publish(notifications)
            }
            return WireResponse.json(answer)
        } catch let error as GoogleAPIError {
            return WireResponse.error(error)
        } catch {
            return WireResponse.error(GoogleAPIError(httpStatus: 500, status: "INTERNAL", message: "Internal error."))
        }
    }
}
