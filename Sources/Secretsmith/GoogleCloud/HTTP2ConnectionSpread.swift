import AsyncHTTPClient
import NIOCore
import Synchronization

/// Spreads the calls in flight to one HTTPS endpoint over as many HTTP/2 connections as
/// their number needs: one connection until it carries ``streamsPerConnection`` calls, a
/// second for the calls beyond, and so on, up to one connection per event loop of the
/// HTTP client.
///
/// Why: HTTP/2 carries concurrent requests as streams of one connection, up to the number
/// the server announces in `SETTINGS_MAX_CONCURRENT_STREAMS` (RFC 9113, section 6.5.2,
/// which recommends no fewer than 100). Google's front ends announce about 100, and so does
/// the bundled emulator (SwiftNIO's default). AsyncHTTPClient keeps at most one HTTP/2
/// connection per event loop and host, and a request not bound to an event loop waits for
/// a free stream on a connection it already has: calls beyond the first 100 would wait a
/// whole round trip. A request bound to an event loop (`.delegateAndChannel(on:)`) is
/// carried by that loop's connection, which the pool opens when it has none. So a lane
/// (an event loop, and with it one connection) is chosen per call: the first lane with
/// fewer than ``streamsPerConnection`` calls in flight, else the least busy one.
///
/// What decides the number of connections: the calls in flight to the endpoint at once,
/// at most the sum of the `concurrency:` settings of the environments reading from it;
/// ceil(calls / ``streamsPerConnection``) connections, at most the client's event loops
/// (one per core with `.singleton`). A render of 10 secrets, or any number at a
/// `concurrency:` of 100 or less, keeps one connection and one TLS handshake; at the
/// built-in 200, a render of more than 100 secrets opens two.
///
/// Over plain HTTP (`SECRET_MANAGER_EMULATOR_HOST`) no lane is chosen: HTTP/1.1 needs a
/// connection per call in flight, which AsyncHTTPClient's pool opens on its own.
package final class HTTP2ConnectionSpread: Sendable {
    /// The calls one connection carries before the next lane is opened: the
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` of Google's front ends (about 100) and RFC 9113's
    /// recommended floor. The server's own announcement is not exposed by AsyncHTTPClient;
    /// a server announcing fewer makes the calls beyond wait for a stream, as without lanes.
    package static let streamsPerConnection = 100

    /// The event loops of the HTTP client, one lane each.
    private let eventLoops: [any EventLoop]
    private let streams: Int
    /// Calls in flight per lane.
    private let inFlight: Mutex<[Int]>

    /// - Parameters:
    ///   - eventLoopGroup: the HTTP client's event loops (`HTTPClient.eventLoopGroup`).
    ///   - streamsPerConnection: the calls one connection carries before the next is used;
    ///     at least 1.
    package init(eventLoopGroup: any EventLoopGroup, streamsPerConnection: Int = HTTP2ConnectionSpread.streamsPerConnection)
    {
        var loops: [any EventLoop] = []
        for loop in eventLoopGroup.makeIterator() { loops.append(loop) }
        eventLoops = loops
        streams = max(1, streamsPerConnection)
        inFlight = Mutex([Int](repeating: 0, count: loops.count))
    }

    /// The number of lanes (event loops), the most connections this spread opens.
    package var laneCount: Int { eventLoops.count }

    /// Takes a stream on a lane: the first lane carrying fewer than
    /// `streamsPerConnection` calls, else the least busy. Pair with ``release(_:)``.
    ///
    /// - Returns: the lane's index and its event loop (`nil` when the group has none,
    ///   which a `MultiThreadedEventLoopGroup` never does).
    package func acquire() -> (lane: Int, eventLoop: any EventLoop)? {
        guard !eventLoops.isEmpty else { return nil }
        let lane = inFlight.withLock { counts -> Int in
            var chosen = 0
            for index in counts.indices {
                if counts[index] < streams {
                    chosen = index
                    break
                }
                if counts[index] < counts[chosen] { chosen = index }
            }
            counts[chosen] += 1
            return chosen
        }
        return (lane, eventLoops[lane])
    }

    /// Gives back the stream ``acquire()`` took on `lane`.
    package func release(_ lane: Int) {
        inFlight.withLock { $0[lane] -= 1 }
    }

    /// The calls in flight per lane (for tests).
    package var callsInFlight: [Int] { inFlight.withLock { $0 } }
}
