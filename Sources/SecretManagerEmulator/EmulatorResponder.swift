import Hummingbird
import Logging
import NIOCore

/// Answers every HTTP request of the emulator: admin endpoints under `/_emulator/`, the
/// authentication endpoints (`EmulatorResponder+Auth.swift`), the Secret Manager API under
/// `/v1/`, and the HTML 404 page for anything else.
///
/// The API path is parsed by ``ResourcePath`` rather than Hummingbird's router, because
/// Google's custom verbs (`versions/4:access`) live inside the last path segment.
///
/// Order of work for an API request, like a front end in front of the service: count it,
/// decide its faults, wait injected delays, answer an injected error or drop the
/// connection, check the bearer token and grants when authentication is on, then validate
/// the name and call the store.
struct EmulatorResponder: HTTPResponder {
    typealias Context = EmulatorRequestContext

    /// The largest request body read, in bytes (a 64 KiB payload is ~88 KB in base64).
    static let maxBodyBytes = 1 << 20

    let state: EmulatorState
    let logger: Logger
    /// Whether API routes check bearer tokens (known here so requests skip the state actor
    /// when authentication is off).
    var requireAuthentication = false

    /// Thrown after closing the connection for a drop fault, so no answer is written.
    struct ConnectionDropped: Error {}

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if path == "/_emulator" || path.hasPrefix("/_emulator/") {
            return try await admin(request, path: path)
        }
        if let route = Self.authRoute(request) {
            return try await auth(request, route: route, context: context)
        }
        guard let resourcePath = ResourcePath.parse(path),
            let method = EmulatorMethod(httpMethod: request.method.rawValue, path: resourcePath)
        else {
            await state.recordUnknownPath()
            logger.debug("No API route for the request", metadata: ["http.method": "\(request.method)"])
            return WireResponse.notFoundPage(path: path)
        }
        let resource = resourcePath.requestedName
        let plan = await state.begin(
            method, resource: resource, traceparent: request.headers.first { $0.name.canonicalName == "traceparent" }?.value)
        var metadata: Logger.Metadata = ["emulator.method": "\(method)", "emulator.resource": "\(resource)"]
        if !plan.firedKinds.isEmpty {
            metadata["emulator.faults"] = "\(plan.firedKinds.joined(separator: ","))"
        }
        let delay = plan.latency + plan.stall
        if delay > .zero {
            // Cancelled when the emulator stops, so a stall never outlives it.
            try await Task.sleep(for: delay)
        }
        let response: Response
        switch plan.outcome {
        case .dropConnection:
            logger.debug("Dropping the connection (injected fault)", metadata: metadata)
            try? await context.channel.close()
            throw ConnectionDropped()
        case .error(let error):
            response = WireResponse.error(error)
        case nil:
            do {
                if requireAuthentication {
                    try await state.authorize(
                        authorization: request.headers[.authorization], method: method, path: resourcePath)
                }
                response = await handle(request, method: method, path: resourcePath, wrongChecksum: plan.wrongChecksum)
            } catch {
                response = Self.errorResponse(error)
            }
        }
        metadata["http.status"] = "\(response.status.code)"
        logger.debug("Answered an API request", metadata: metadata)
        await state.recordStatus(response.status.code)
        return response
    }

    /// Validates the name, reads the body and calls the store.
    private func handle(
        _ request: Request, method: EmulatorMethod, path: ResourcePath, wrongChecksum: Bool
    ) async -> Response {
        do {
            if let error = path.validationError { throw error }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Self.maxBodyBytes)
            } catch {
                throw GoogleAPIError.invalidArgument("The request body is larger than \(Self.maxBodyBytes) bytes or could not be read.")
            }
            let apiRequest = APIRequest(
                method: method, path: path, query: QueryParameters(request.uri.query),
                body: Array(buffer: body), wrongChecksum: wrongChecksum)
            return WireResponse.json(try await state.handle(apiRequest))
        } catch let error as GoogleAPIError {
            return WireResponse.error(error)
        } catch {
            return WireResponse.error(GoogleAPIError(httpStatus: 500, status: "INTERNAL", message: "Internal error."))
        }
    }
}
