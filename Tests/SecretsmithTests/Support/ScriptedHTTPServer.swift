import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP/1.1 server on a free port that answers requests from a script, in
/// order, and records what it received: for the failure answers (429, 5xx, 401, oversized
/// bodies) no real peer gives on demand. Call `stop()` at the end of the test.
final class ScriptedHTTPServer: Sendable {
    struct Answer: Sendable {
        var status: Int
        var headers: [String: String] = ["Content-Type": "application/json"]
        var body: String = "{}"
    }

    struct Received: Sendable {
        var method: String
        var uri: String
        var authorization: String?
        var body: String
    }

    private let script: Mutex<[Answer]>
    private let log = Mutex<[Received]>([])
    private let channel: any Channel
    let port: Int

    var host: String { "127.0.0.1:\(port)" }

    /// The requests received so far, in order.
    var received: [Received] { log.withLock { $0 } }

    private init(script: [Answer], channel: any Channel, port: Int) {
        self.script = Mutex(script)
        self.channel = channel
        self.port = port
    }

    /// Starts a server that gives `answers` in order, then 500 to anything more.
    static func start(answers: [Answer]) async throws -> ScriptedHTTPServer {
        let box = Mutex<ScriptedHTTPServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: { box.withLock { $0 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedHTTPServer(script: answers, channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLock { $0 = server }
        return server
    }

    func stop() async throws {
        try await channel.close()
    }

    fileprivate func answer(to request: Received) -> Answer {
        log.withLock { $0.append(request) }
        return script.withLock { $0.isEmpty ? Answer(status: 500, body: "script exhausted") : $0.removeFirst() }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: @Sendable () -> ScriptedHTTPServer?
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(server: @escaping @Sendable () -> ScriptedHTTPServer?) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let value):
                head = value
                body = []
            case .body(let buffer):
                body += buffer.readableBytesView
            case .end:
                guard let head, let server = server() else { return }
                let answer = server.answer(
                    to: Received(
                        method: head.method.rawValue, uri: head.uri,
                        authorization: head.headers.first(name: "Authorization"),
                        body: String(decoding: body, as: UTF8.self)))
                var headers = HTTPHeaders(answer.headers.map { ($0.key, $0.value) })
                headers.replaceOrAdd(name: "Content-Length", value: "\(answer.body.utf8.count)")
                let responseHead = HTTPResponseHead(
                    version: head.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
