import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A Hummingbird server on 127.0.0.1 and a free port that answers every request with a
/// test's closure and records what it received (JWKS endpoints, webhook receivers).
final class LoopbackServer: Sendable {
    struct Received: Sendable {
        var method: String
        var path: String
        var headers: HTTPFields
        var body: [UInt8]
    }

    struct Answer: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: [UInt8] = []

        init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        init(status: Int, headers: [String: String] = [:], text: String) {
            self.init(status: status, headers: headers, body: Array(text.utf8))
        }
    }

    final class Log: Sendable {
        let entries = Mutex<[Received]>([])
    }

    private let log: Log
    let port: Int
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The requests so far, in arrival order.
    var received: [Received] { log.entries.withLock { $0 } }

    private init(log: Log, port: Int, task: Task<Void, any Error>) {
        self.log = log
        self.port = port
        self.task = task
    }

    /// Starts a server whose answers `answer` gives (told the request's number from 1).
    static func start(_ answer: @escaping @Sendable (Int, Received) async -> Answer) async throws -> LoopbackServer {
        let log = Log()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            let received = Received(
                method: request.method.rawValue, path: request.uri.path, headers: request.headers,
                body: Array(buffer: body))
            let number = log.entries.withLock { entries in
                entries.append(received)
                return entries.count
            }
            let answer = await answer(number, received)
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let field = HTTPField.Name(name) { fields[field] = value }
            }
            return Response(
                status: .init(code: answer.status), headers: fields,
                body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "loopback-server")
        logger.logLevel = .critical
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let task = Task { try await application.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw CancellationError()
        }
        return LoopbackServer(log: log, port: port, task: task)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

/// Runs `body` with a started ``LoopbackServer`` and stops it afterwards, also on failure.
func withLoopbackServer<T>(
    _ answer: @escaping @Sendable (Int, LoopbackServer.Received) async -> LoopbackServer.Answer,
    _ body: (LoopbackServer) async throws -> T
) async throws -> T {
    let server = try await LoopbackServer.start(answer)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
