import Hummingbird

/// The first middleware of every counted route: identifies the call (method, resource
/// name, parsed path) from the route's captures and puts it in the context for fault
/// injection, authentication and the handler.
struct RouteMiddleware: RouterMiddleware {
    typealias Context = EmulatorRequestContext

    /// Builds the call from the request and its captures; throws ``NoRoute`` when the
    /// request does not really name one.
    let identify: @Sendable (Request, Context) throws -> EmulatorCall

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.call = try identify(request, context)
        return try await next(request, context)
    }

    /// A Secret Manager API route: `method` on the path the captures `project`,
    /// `location` (regional routes), `secret` and `version` spell.
    ///
    /// Captures are percent-decoded. A capture that is empty or (but for the project,
    /// which may be `domain:project`) holds a `:` is no route: the API has no such verb.
    static func api(_ method: EmulatorMethod) -> RouteMiddleware {
        RouteMiddleware { _, context in
            func capture(_ name: String) throws(NoRoute) -> String? {
                guard let raw = context.parameters.get(name) else { return nil }
                guard let decoded = raw.removingPercentEncoding, !decoded.isEmpty,
                    name == "project" || !decoded.contains(":")
                else { throw NoRoute() }
                return decoded
            }
            guard let project = try capture("project") else { throw NoRoute() }
            let location = try capture("location")
            let secret = try capture("secret")
            let version = try capture("version")
            let target: ResourcePath.Target
            switch method {
            case .listSecrets, .createSecret:
                target = .secrets
            case .listVersions:
                target = .versions(secret: secret ?? "")
            case .access, .getVersion, .enable, .disable, .destroy:
                target = .version(secret: secret ?? "", version: version ?? "")
            default:
                target = .secret(secret ?? "")
            }
            let path = ResourcePath(project: project, location: location, target: target)
            return EmulatorCall(method: method, resource: path.requestedName, path: path)
        }
    }

    /// An authentication route counted under `method` and the fixed `resource`.
    static func authentication(_ method: EmulatorMethod, resource: String) -> RouteMiddleware {
        RouteMiddleware { _, _ in EmulatorCall(method: method, resource: resource) }
    }
}
