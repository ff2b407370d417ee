// The emulator's middleware, in the order a counted request meets them: NotFoundPage
// (router level), Route (per route), MetadataFlavor (metadata routes), FaultInjection,
// Authentication (API routes with --auth).

import Hummingbird
import Logging
import NIOCore

/// Counts every request of a counted route (API and authentication methods) and applies
/// the fault rules, in the order a front end in front of the service would: count the
/// request and decide its faults (one step of ``EmulatorState``), wait the injected
/// delays, then answer an injected error or 429, drop the connection, or pass the request
/// on (with the wrong-checksum flag set) and count the answer's status.
///
/// Injected delays end early when the emulator stops (``EmulatorState/cutDelays()``, on
/// `stop()` and on a service group's graceful shutdown): the connection is then closed
/// without an answer, so a stall never holds up `stop()` or a SIGTERM.
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    let state: EmulatorState
    /// Debug: one line per request with method, resource name, faults and status (never a payload).
    let logger: Logger

    /// Thrown after closing the connection (a drop fault, or a delay cut short by
    /// shutdown), so no answer is written.
    struct ConnectionClosed: Error {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let call = context.call else { return try await next(request, context) }
        let traceparent = call.path == nil ? nil : request.headers[Self.traceparent]
        let plan = await state.begin(
            call.method, resource: call.resource, traceparent: traceparent, httpVersion: context.channel.emulatorHTTPVersion)
        var metadata: Logger.Metadata = ["emulator.method": "\(call.method)", "emulator.resource": "\(call.resource)"]
        if !plan.firedKinds.isEmpty {
            metadata["emulator.faults"] = "\(plan.firedKinds.joined(separator: ","))"
        }
        let delay = plan.latency + plan.stall
        if delay > .zero {
            let sleeper = await state.beginDelay(delay)
            do {
                try await withTaskCancellationHandler {
                    try await sleeper.task.value
                } onCancel: {
                    sleeper.task.cancel()
                }
                await state.endDelay(sleeper.id)
            } catch {
                await state.endDelay(sleeper.id)
                logger.debug("Closing the connection of a delayed request: the server is stopping", metadata: metadata)
                try? await context.channel.close()
                throw ConnectionClosed()
            }
        }
        let response: Response
        switch plan.outcome {
        case .dropConnection:
            logger.debug("Dropping the connection (injected fault)", metadata: metadata)
            try? await context.channel.close()
            throw ConnectionClosed()
        case .error(let error):
            response = WireResponse.error(error)
        case nil:
            var context = context
            context.wrongChecksum = plan.wrongChecksum
            response = try await next(request, context)
        }
        metadata["http.status"] = "\(response.status.code)"
        logger.debug(call.path == nil ? "Answered an authentication request" : "Answered an API request", metadata: metadata)
        await state.recordStatus(response.status.code)
        return response
    }

    private static let traceparent = HTTPFields.Element.Name("traceparent")!
}

/// On Secret Manager routes when ``EmulatorConfiguration/requireAuthentication`` is on:
/// a bearer token this emulator issued or a seeded service account's self-signed JWT
/// (else 401 UNAUTHENTICATED with
/// `WWW-Authenticate`) and a principal on the seed's `access` lists (else 403
/// PERMISSION_DENIED). Runs after fault injection, before the name is validated.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    let state: EmulatorState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let call = context.call, let path = call.path else { return try await next(request, context) }
        do {
            try await state.authorize(
                authorization: request.headers[.authorization], requestAuthority: request.head.authority,
                method: call.method, path: path)
        } catch {
            return WireResponse.authorizationError(error)
        }
        return try await next(request, context)
    }
}

/// Adds `Metadata-Flavor: Google` to every answer of the metadata server's routes
/// (injected errors included), as the real one does.
struct MetadataFlavorMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    static let name = HTTPFields.Element.Name("Metadata-Flavor")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[Self.name] = "Google"
        return response
    }
}

/// Answers what no route serves as Google's front end does: an HTML 404 page, counted in
/// ``EmulatorStats/unknownPaths``; under `/_emulator/`, a JSON `{"error":…}` 404 instead
/// (admin requests are never counted).
///
/// Paths with an empty segment (`//`, a trailing `/`) are refused here, before routing:
/// Hummingbird's router would ignore the empty segment.
struct NotFoundPageMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    let state: EmulatorState
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/" || (!path.contains("//") && !path.hasSuffix("/")) else {
            return await notFound(request)
        }
        do {
            return try await next(request, context)
        } catch is NoRoute {
            return await notFound(request)
        } catch let error as HTTPError where error.status == .notFound {
            return await notFound(request)
        }
    }

    private func notFound(_ request: Request) async -> Response {
        let path = request.uri.path
        if path == "/_emulator" || path.hasPrefix("/_emulator/") {
            return WireResponse.adminError("Unknown admin endpoint \(request.method) \(path).", status: 404)
        }
        await state.recordUnknownPath()
        logger.debug("No API route for the request", metadata: ["http.method": "\(request.method)"])
        return WireResponse.notFoundPage(path: path)
    }
}
