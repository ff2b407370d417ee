import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection's channel,
/// which the drop-connection fault closes.
struct EmulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}
