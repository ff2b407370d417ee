import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage, the connection's channel (which
/// the drop-connection fault closes), and what the route identified.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    let channel: any Channel
    /// The method and resource the matched route calls; set by ``RouteMiddleware`` before
    /// fault injection and authentication run.
    var call: EmulatorCall?
    /// Whether an `access` answer must carry a wrong checksum (set by fault injection).
    var wrongChecksum = false

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

/// What a routed request calls: counted, faulted and logged under `method` and `resource`.
struct EmulatorCall: Sendable {
    /// The method the route serves.
    var method: EmulatorMethod
    /// The resource name the request is counted under (``EmulatorStats/resources``) and
    /// fault rules' `resource` patterns match: for API methods the name as requested,
    /// without `/v1/` and the `:verb`.
    var resource: String
    /// The parsed resource path of a Secret Manager API method; `nil` for the
    /// authentication endpoints.
    var path: ResourcePath?
    /// The service account email of `generateAccessToken`.
    var serviceAccount: String?
}

/// The router matched a path shape, but the request is not one the API serves (an
/// empty or malformed segment, a `:verb` the route does not have, `GET /` without
/// `Metadata-Flavor`): answered like an unknown path, with Google's HTML 404 page.
struct NoRoute: Error {}
