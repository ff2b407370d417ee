import Logging

/// A log handler that keeps metadata set on its logger as given and hands it to the wrapped
/// handler only with a message that is actually logged.
///
/// Hummingbird sets a request id on its logger for every request it reads; swift-log's
/// `StreamLogHandler` renders its whole metadata to text on every such change, although the
/// server's logger (at `notice` and above) almost never logs. Wrapped, setting the id is a
/// dictionary insert. Metadata given with a message wins over metadata set on the logger,
/// which wins over the wrapped handler's own.
package struct DeferredMetadataLogHandler: LogHandler {
    private var wrapped: any LogHandler
    /// Metadata set on this handler, not yet given to `wrapped`.
    private var deferred: Logger.Metadata = [:]

    package init(wrapping handler: any LogHandler) {
        wrapped = handler
    }

    package var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    package var metadata: Logger.Metadata {
        get { wrapped.metadata.merging(deferred) { $1 } }
        set {
            deferred = newValue
            if !wrapped.metadata.isEmpty { wrapped.metadata = [:] }
        }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { deferred[key] ?? wrapped[metadataKey: key] }
        set {
            deferred[key] = newValue
            // A removal must also remove what the wrapped handler held under the key.
            if newValue == nil, wrapped[metadataKey: key] != nil { wrapped[metadataKey: key] = nil }
        }
    }

    package func log(event: LogEvent) {
        var event = event
        if !deferred.isEmpty {
            event.metadata = deferred.merging(event.metadata ?? [:]) { $1 }
        }
        wrapped.log(event: event)
    }
}
