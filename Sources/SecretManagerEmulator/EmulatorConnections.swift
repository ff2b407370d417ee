import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import Synchronization

/// The TCP connections an emulator accepted since its start or the last stats reset
/// (``EmulatorStats/connections``): with HTTP/2, one connection carries many requests.
final class ConnectionCounter: Sendable {
    private let count = Mutex(0)

    /// Counts one accepted connection.
    func accepted() { count.withLock { $0 += 1 } }

    /// The connections accepted so far.
    var value: Int { count.withLock { $0 } }

    /// Starts counting again from zero.
    func reset() { count.withLock { $0 = 0 } }
}

/// A server child channel that counts each accepted connection, then sets it up as
/// `base` does (HTTP/1.1, or TLS with HTTP/2 by ALPN).
struct CountingChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        counter.accepted()
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// Plain HTTP/1.1, or with `tls` HTTPS offering HTTP/2 and HTTP/1.1 by ALPN (HTTP/2's
    /// settings are NIO's defaults: at most 100 concurrent streams per connection); every
    /// accepted connection is counted.
    ///
    /// - Throws: ``EmulatorTLSError`` when the TLS key does not belong to the certificate.
    static func emulator(tls: EmulatorTLS?, counter: ConnectionCounter) throws -> HTTPServerBuilder {
        guard let tls else {
            return HTTPServerBuilder { responder in
                CountingChildChannel(base: HTTP1Channel(responder: responder), counter: counter)
            }
        }
        let configuration = try tls.serverConfiguration()
        return HTTPServerBuilder { responder in
            CountingChildChannel(
                base: try HTTP2UpgradeChannel(tlsConfiguration: configuration, responder: responder), counter: counter)
        }
    }
}

extension Channel {
    /// The HTTP version a request arrived with, from the channel it was handed: an HTTP/2
    /// stream is a child channel of its connection, itself a child of the listener, while
    /// an HTTP/1.1 request is handed the connection.
    var emulatorHTTPVersion: String {
        parent?.parent != nil ? "2" : "1.1"
    }
}
