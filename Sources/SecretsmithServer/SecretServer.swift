import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import Secretsmith

/// `secretsmith serve`: a caching, policy-enforcing secret service over one shared
/// ``MultiEnvironmentSecretManager`` (its cache, single flight, breakers, retries, bound on
/// upstream calls per environment and connection pool serve every caller).
///
/// Routes (see the README's "Running the service"):
///
/// | route | name | guard |
/// |---|---|---|
/// | `GET /healthz`, `GET /readyz`, `GET /metrics` | `healthz`, `readyz`, `metrics` | none |
/// | `GET /v1/projects/P[/locations/L]/secrets/S/versions/V:access` | `access` | API |
/// | `GET /v1/projects/P[/locations/L]/secrets/S/versions/V` | `get` | API |
/// | `GET /v1/references/ENV/PROJECT/SECRET[@V][#POINTER]` | `reference` | API |
/// | `POST /v1/outputs/NAME:render?environment=E` | `render` | API |
/// | `POST /v1/events/pubsub` | `pubsub` | its own handler's (an OIDC token) |
///
/// The API guard (``RequestGuardMiddleware``) checks `serve.required_header`, then the
/// bearer token through ``authenticators``, then the principal's rate limit; each route
/// then checks ``policy`` for what the request reads, on every request (cache hits included).
package final class SecretServer: Sendable {
    package let configuration: Configuration
    package let serve: ServeConfiguration
    package let manager: MultiEnvironmentSecretManager
    package let pipeline: RenderPipeline
    package let authenticators: [any BearerTokenAuthenticator]
    package let policy: AccessPolicy
    package let rateLimiter: RateLimiter
    package let metrics: ServerMetrics
    /// The registry `/metrics` exposes; `nil` answers `/metrics` with 404.
    package let registry: PrometheusCollectorRegistry?
    /// Where library metrics go for requests of this server (`nil`: the bootstrapped factory).
    package let metricsFactory: (any MetricsFactory)?
    /// The audit log: one `request` event per request.
    package let audit: AuditLog
    /// Serves `POST /v1/events/pubsub` when set (authenticated by the handler itself).
    package let pubSubPushHandler: (@Sendable (Request, ServeRequestContext) async throws -> Response)?
    let requiredHeader: HTTPFields.Element.Name?
    /// Parsed paths, matched resources, policy verdicts and rate limits, worked out once.
    let memo = ServeMemo()

    /// - Parameters:
    ///   - configuration: the loaded configuration (its `serve:` section, or defaults).
    ///   - manager: the one manager every request reads through.
    ///   - authenticators: asked in order for each bearer token.
    ///   - registry: exposed at `/metrics`.
    ///   - metricsFactory: where server and library metrics go (tests); `nil` for the
    ///     bootstrapped factory.
    ///   - auditLogger: the audit log, when `auditLog` is nil.
    ///   - auditLog: the audit log (the CLI's buffered writer); `nil` logs through `auditLogger`.
    ///   - processEnvironment: for `<< env "NAME" >>` in rendered templates.
    package init(
        configuration: Configuration, manager: MultiEnvironmentSecretManager,
        authenticators: [any BearerTokenAuthenticator], registry: PrometheusCollectorRegistry?,
        metricsFactory: (any MetricsFactory)? = nil, auditLogger: Logger, auditLog: AuditLog? = nil,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        pubSubPushHandler: (@Sendable (Request, ServeRequestContext) async throws -> Response)? = nil,
        rateLimiter: RateLimiter = RateLimiter()
    ) {
        self.configuration = configuration
        self.serve = configuration.serve ?? ServeConfiguration()
        self.manager = manager
        self.pipeline = RenderPipeline(manager: manager, processEnvironment: processEnvironment)
        self.authenticators = authenticators
        self.policy = AccessPolicy(serve.policy)
        self.rateLimiter = rateLimiter
        self.metrics = ServerMetrics(factory: metricsFactory)
        self.registry = registry
        self.metricsFactory = metricsFactory
        self.audit = auditLog ?? AuditLog(logger: auditLogger)
        self.pubSubPushHandler = pubSubPushHandler
        self.requiredHeader = serve.requiredHeader.flatMap { HTTPFields.Element.Name($0) }
    }

    // MARK: Router

    /// The router of every route, with the middleware. `HEAD` on a `GET` route answers as
    /// `GET` (the same guard, policy, audit and headers, `Content-Length` included) without
    /// the body (RFC 9110 §9.3.2).
    package func makeRouter() -> Router<ServeRequestContext> {
        let router = Router(context: ServeRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: ObservingMiddleware(metrics: metrics, audit: audit))
        if let metricsFactory {
            router.add(middleware: MetricsFactoryMiddleware(factory: metricsFactory))
        }
        router.group().add(middleware: RouteNameMiddleware(name: "healthz")).get("healthz") { _, _ in
            ServeResponse.bytes(Array(#"{"status":"ok"}"#.utf8), contentType: ServeResponse.jsonContentType)
        }
        router.group().add(middleware: RouteNameMiddleware(name: "readyz")).get("readyz") { _, _ in
            await self.readiness()
        }
        router.group().add(middleware: RouteNameMiddleware(name: "metrics")).get("metrics") { _, _ in
            self.metricsExposition()
        }
        // The guard names the route too (one middleware less per API request).
        for base in ["v1/projects/{project}", "v1/projects/{project}/locations/{location}"] {
            router.group(RouterPath(base)).add(middleware: RequestGuardMiddleware(server: self, route: "access"))
                .get("secrets/{secret}/versions/{version}:access") { request, context in
                    try await self.googleVersion(request, context: context, access: true)
                }
            router.group(RouterPath(base)).add(middleware: RequestGuardMiddleware(server: self, route: "get"))
                .get("secrets/{secret}/versions/{version}") { request, context in
                    try await self.googleVersion(request, context: context, access: false)
                }
        }
        router.group("v1/references").add(middleware: RequestGuardMiddleware(server: self, route: "reference"))
            .get("**") { request, context in
                try await self.reference(request, context: context)
            }
        router.group("v1/outputs").add(middleware: RequestGuardMiddleware(server: self, route: "render"))
            .post("{output}:render") { request, context in
                try await self.render(request, context: context)
            }
        router.group().add(middleware: RouteNameMiddleware(name: "pubsub")).post("v1/events/pubsub") { request, context in
            guard let handler = self.pubSubPushHandler else {
                throw ServeError.notFound("The Pub/Sub push endpoint is not configured (serve.pubsub_push).")
            }
            return try await handler(request, context)
        }
        addMethodNotAllowed(to: router)
        return router
    }

    /// The methods answered 405 on a path served with other methods (Hummingbird answers
    /// 404 for a path it knows with a method it does not): the methods OpenAPI names, and
    /// `QUERY`. `HEAD` only on a path without `GET` (a `GET` route answers `HEAD` itself).
    static let methodsAnsweredNotAllowed: [HTTPRequest.Method] = [
        .get, .head, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!,
    ]

    /// For every path the router serves, 405 `Method Not Allowed` with `Allow` listing its
    /// methods (RFC 9110 §15.5.6) for ``methodsAnsweredNotAllowed`` it does not serve,
    /// before any guard (the answer names no resource, only the route's methods).
    private func addMethodNotAllowed(to router: Router<ServeRequestContext>) {
        var paths: [(path: RouterPath, methods: [HTTPRequest.Method])] = []
        for route in router.routes {
            if let index = paths.firstIndex(where: { $0.path.description == route.path.description }) {
                paths[index].methods.append(route.method)
            } else {
                paths.append((route.path, [route.method]))
            }
        }
        let group = router.group().add(middleware: RouteNameMiddleware(name: "unknown"))
        for (path, methods) in paths {
            let allowed = methods.contains(.get) && !methods.contains(.head) ? methods + [.head] : methods
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in Self.methodsAnsweredNotAllowed where !methods.contains(method) {
                if method == .head, methods.contains(.get) { continue }
                group.on(path, method: method) { request, _ in
                    var response = ServeError(
                        httpStatus: 405, status: "UNIMPLEMENTED",
                        message: "The method \(ObservingMiddleware.printable(request.method.rawValue)) is not allowed on "
                            + "\(ObservingMiddleware.printable(request.uri.path)); it allows \(allow).").response
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
    }

    // MARK: Authentication

    /// The principal of `Authorization: Bearer TOKEN`, asking ``authenticators`` in order.
    ///
    /// - Throws: ``ServeError`` 401 `UNAUTHENTICATED` (no token, or none accepts it), 503
    ///   `UNAVAILABLE` when an authenticator cannot decide (an issuer's keys cannot be had).
    func authenticate(_ request: Request, audit: AuditRecord) async throws(ServeError) -> Principal {
        guard let header = request.headers[.authorization], let token = Self.bearerToken(in: header) else {
            metrics.recordAuthFailure(reason: "missing")
            audit.update { $0.refusal = "no bearer token" }
            throw ServeError.unauthenticated(
                "Request is missing required authentication credential. Expected an OAuth 2 access token in "
                    + "Authorization: Bearer.", tokenPresented: false)
        }
        for authenticator in authenticators {
            do throws(BearerTokenRejection) {
                if let principal = try await authenticator.authenticate(bearerToken: token) { return principal }
            } catch {
                if error.isUnavailable {
                    metrics.recordAuthFailure(reason: "unavailable")
                    audit.update { $0.refusal = error.reason }
                    throw ServeError(
                        httpStatus: 503, status: "UNAVAILABLE",
                        message: "The bearer token cannot be checked now: \(ServeError.sentence(error.reason))",
                        retryAfterSeconds: 5)
                }
                metrics.recordAuthFailure(reason: "invalid")
                audit.update { $0.refusal = error.reason }
                throw ServeError.unauthenticated(
                    "Request had invalid authentication credentials: \(ServeError.sentence(error.reason))", tokenPresented: true)
            }
        }
        metrics.recordAuthFailure(reason: "invalid")
        audit.update { $0.refusal = "no authenticator recognised the bearer token" }
        throw ServeError.unauthenticated(
            "Request had invalid authentication credentials: the bearer token is not one this service accepts.",
            tokenPresented: true)
    }

    /// The token of an `Authorization: Bearer TOKEN` header value (scheme case-insensitive,
    /// surrounding white space trimmed); `nil` for another scheme or nothing after it.
    static func bearerToken(in header: String) -> String? {
        let utf8 = header.utf8
        guard utf8.count > 7 else { return nil }
        var index = utf8.startIndex
        for expected in "bearer ".utf8 {
            let byte = utf8[index]
            // ASCII letters compare case-insensitively; the space must be a space.
            guard byte == expected || (expected != UInt8(ascii: " ") && byte | 0x20 == expected) else { return nil }
            index = utf8.index(after: index)
        }
        let rest = header[index...]
        guard let first = rest.unicodeScalars.first, let last = rest.unicodeScalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        else { return String(rest) }
        return String(rest).trimmingCharacters(in: .whitespaces)
    }

    /// The principal a guarded route's context carries.
    func principal(_ context: ServeRequestContext) throws -> Principal {
        guard let principal = context.principal else {
            throw ServeError(httpStatus: 500, status: "INTERNAL", message: "Internal error (no principal).")
        }
        return principal
    }

    /// Refuses with 403 (and counts it) unless the policy lets `principal` read the coordinates.
    func checkPolicy(
        _ principal: Principal, environment: String, project: String, secret: String, route: String,
        audit: AuditRecord, denial: @autoclosure () -> ServeError
    ) throws {
        guard allows(principal, environment: environment, project: project, secret: secret) else {
            metrics.recordPolicyDenial(route: route)
            audit.update { $0.refusal = "policy denies \(environment)/\(project)/\(secret)" }
            throw denial()
        }
    }

    /// Whether the policy lets `principal` read the coordinates (asked of the policy once
    /// per distinct question; the policy does not change while the server runs).
    func allows(_ principal: Principal, environment: String, project: String, secret: String) -> Bool {
        memo.decision(.init(principal: principal, environment: environment, project: project, secret: secret)) {
            policy.allows(principal, environment: environment, project: project, secret: secret)
        }
    }

    /// `x-goog-request-reason` of the upstream calls made for `principal`'s requests (made
    /// once per principal).
    func requestReason(for principal: Principal) -> String {
        memo.requestReason(for: principal) { "secretsmith serve for \(principal.name)" }
    }

    /// The principal's rate limit under the policy, worked out once per principal.
    func rateLimit(for principal: Principal) -> ServeConfiguration.RateLimit? {
        memo.rateLimit(for: principal) { policy.rateLimit(for: principal) }
    }

    // MARK: Health, readiness, metrics

    /// `GET /readyz`: 200 when the configuration is loaded and credentials can be had for
    /// every environment (503 otherwise), with which circuit breakers are open. An open
    /// breaker does not make the service unready: it answers what it can (cache) and the
    /// other projects.
    func readiness() async -> Response {
        var credentials: [(String, String?)] = []
        for environment in configuration.environments {
            guard environment.variableError == nil, let project = environment.projects.first else {
                credentials.append((environment.name, environment.variableError.map { _ in "an unset ${VARIABLE}" }))
                continue
            }
            let secret: SecretConfig
            do {
                secret = try configuration.resolve(
                    SecretReference(environment: environment.name, project: project.alias, secret: project.secrets.first?.name ?? "readiness-check"),
                    activeEnvironment: environment.name)
            } catch {
                credentials.append((environment.name, nil))
                continue
            }
            do {
                try await manager.checkCredentials(for: secret)
                credentials.append((environment.name, nil))
            } catch let error as any SecretsmithError {
                credentials.append((environment.name, error.shortDescription))
            } catch {
                credentials.append((environment.name, "UNEXPECTED"))
            }
        }
        let stats = await manager.stats()
        let ready = credentials.allSatisfy { $0.1 == nil }
        var json = "{\"status\":\(ServeJSON.quoted(ready ? "ready" : "not ready")),\"configuration\":\"loaded\",\"credentials\":{"
        json += credentials.map { "\(ServeJSON.quoted($0.0)):\(ServeJSON.quoted($0.1 ?? "ok"))" }.joined(separator: ",")
        json += "},\"breakers\":["
        json += stats.breakers.map {
            "{\"environment\":\(ServeJSON.quoted($0.environment)),\"project\":\(ServeJSON.quoted($0.projectID)),\"state\":\(ServeJSON.quoted($0.state))}"
        }.joined(separator: ",")
        json += "],\"open_breakers\":\(stats.breakers.filter { $0.state != "closed" }.count)}"
        return ServeResponse.bytes(Array(json.utf8), status: ready ? 200 : 503, contentType: ServeResponse.jsonContentType)
    }

    /// `GET /metrics`: the registry's Prometheus text exposition, with `# HELP` lines.
    func metricsExposition() -> Response {
        guard let registry else {
            return ServeError.notFound("Metrics are not collected by this server.").response
        }
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let help = SecretsmithMetrics.help.merging(ServerMetrics.help) { $1 }
        var lines: [Substring] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.split(separator: " ").dropFirst(2).first, let text = help[String(name)] {
                lines.append("# HELP \(name) \(text)")
            }
            lines.append(line)
        }
        return ServeResponse.bytes(
            Array(lines.joined(separator: "\n").utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}

/// Routes library metrics of this server's requests to its own factory (tests).
struct MetricsFactoryMiddleware: RouterMiddleware {
    typealias Context = ServeRequestContext
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await SecretsmithMetrics.$factoryOverride.withValue(factory) { try await next(request, context) }
    }
}
