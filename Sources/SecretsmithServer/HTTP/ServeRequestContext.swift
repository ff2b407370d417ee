import Hummingbird
import Secretsmith
import Synchronization

/// The per-request context of `secretsmith serve`: Hummingbird's core storage, the
/// authenticated principal, and the request's audit record.
package struct ServeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Who made the request; set by ``RequestGuardMiddleware`` on the API routes.
    package var principal: Principal?
    /// What the audit event and the metrics of this request say; filled as the request
    /// goes through the middleware and the handler.
    package let audit = AuditRecord()

    package init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}

/// What one request's audit event says (never a value or a token).
package final class AuditRecord: Sendable {
    package struct Fields: Sendable {
        /// The route's name (`access`, `get`, `reference`, `render`, `healthz`, ...).
        package var route = "unknown"
        /// The principal's canonical name.
        package var principal: String?
        /// The resource as requested (a Secret Manager resource name, an output).
        package var resource: String?
        /// The reference the request resolved to (`ENV/PROJECT/SECRET@VERSION`).
        package var reference: String?
        /// The version number read.
        package var version: String?
        /// `hit`, `miss`, `joined` or `stale`.
        package var cache: String?
        /// Why the request was refused (a sentence, no value or token).
        package var refusal: String?
    }

    private let fields = Mutex(Fields())

    package init() {}

    package func update(_ body: (inout Fields) -> Void) {
        fields.withLock { body(&$0) }
    }

    package var snapshot: Fields { fields.withLock { $0 } }
}
