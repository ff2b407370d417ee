import Hummingbird
import Logging
import Secretsmith

/// The outermost middleware: counts the request in flight, turns every error into Google's
/// envelope, then records the request's metrics and logs its audit event.
///
/// Audit event (`info`, message `request`): `route`, `http.method`, `principal`,
/// `resource`, `secret.ref`, `secret.version`, `cache`, `http.status`, `duration_ms`, and
/// `refusal` for a refused request. Never a value, a token or a request body.
struct ObservingMiddleware: RouterMiddleware {
    typealias Context = ServeRequestContext
    let metrics: ServerMetrics
    let audit: AuditLog
    let clock = ContinuousClock()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = clock.now
        metrics.requestStarted()
        defer { metrics.requestFinished() }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Hummingbird's own (no route for the path, a body too large).
            let status = Int(error.status.code)
            response = ServeError(
                httpStatus: status, status: status == 404 ? "NOT_FOUND" : status == 405 ? "UNIMPLEMENTED" : "INVALID_ARGUMENT",
                message: status == 404 ? "No API serves the path \(Self.printable(request.uri.path))." : "The request was refused (HTTP \(status)).").response
        } catch {
            let failure = ServeError.from(error)
            context.audit.update { if $0.refusal == nil, failure.httpStatus < 500 { $0.refusal = failure.status } }
            response = failure.response
        }
        let duration = clock.now - started
        let record = context.audit.snapshot
        let status = Int(response.status.code)
        metrics.recordRequest(route: record.route, status: status, duration: duration)
        audit.record(record, method: request.method.rawValue, status: status, duration: duration)
        return response
    }

    /// A path for a message: printable ASCII only, at most 200 characters.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value >= 0x7F ? "?" : $0 }))
    }
}

/// Names the route for the audit event and the metrics (the first middleware of a route).
struct RouteNameMiddleware: RouterMiddleware {
    typealias Context = ServeRequestContext
    let name: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.audit.update { $0.route = name }
        return try await next(request, context)
    }
}

/// On the API routes: names the route (as ``RouteNameMiddleware`` does for the others), then
/// the SSRF guard header, then `Authorization: Bearer` through the authenticators, then the
/// principal's rate limit.
struct RequestGuardMiddleware: RouterMiddleware {
    typealias Context = ServeRequestContext
    let server: SecretServer
    /// The route's name for the audit event and the metrics.
    let route: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.audit.update { $0.route = route }
        if let header = server.requiredHeader {
            guard let value = request.headers[header], !value.isEmpty else {
                context.audit.update { $0.refusal = "missing the required header \(server.serve.requiredHeader ?? "")" }
                throw ServeError.invalidArgument(
                    "The request lacks the header \(server.serve.requiredHeader ?? "") that this service requires of every API request.")
            }
        }
        var context = context
        let principal = try await server.authenticate(request, audit: context.audit)
        context.principal = principal
        context.audit.update { $0.principal = principal.name }
        if let limit = server.rateLimit(for: principal), let wait = server.rateLimiter.take(principal.name, limit: limit) {
            server.metrics.recordRateLimited()
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            context.audit.update { $0.refusal = "rate limited" }
            throw ServeError(
                httpStatus: 429, status: "RESOURCE_EXHAUSTED",
                message: "Quota exceeded: \(principal.name) may make \(Self.format(limit.requestsPerSecond)) requests per second "
                    + "(burst \(limit.burst)); retry after \(seconds) s.",
                retryAfterSeconds: seconds)
        }
        return try await GoogleRESTRequest.$requestReason.withValue(server.requestReason(for: principal)) {
            try await next(request, context)
        }
    }

    static func format(_ rate: Double) -> String {
        rate == rate.rounded() ? String(Int(rate)) : String(rate)
    }
}
