import AsyncHTTPClient
import Logging
import NIOPosix
import Testing
@testable import Secretsmith

/// Which lane (event loop, and with it which HTTP/2 connection) a call takes: the first
/// until it carries its streams, then the next, then the least busy.
@Suite struct HTTP2ConnectionSpreadTests {
    @Test("a lane is filled up to its streams before the next is taken; when all are full, the least busy")
    func fillsLanesInOrder() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
        let spread = HTTP2ConnectionSpread(eventLoopGroup: group, streamsPerConnection: 2)
        #expect(spread.laneCount == 3)
        var lanes: [Int] = []
        for _ in 0..<6 { lanes.append(try #require(spread.acquire()).lane) }
        #expect(lanes == [0, 0, 1, 1, 2, 2])
        #expect(spread.callsInFlight == [2, 2, 2])
        // All full: the least busy lane (the first of equals).
        #expect(spread.acquire()?.lane == 0)
        spread.release(1)
        spread.release(1)
        #expect(spread.callsInFlight == [3, 0, 2])
        // Lane 0 is over its streams, lane 1 has room again.
        #expect(spread.acquire()?.lane == 1)
        #expect(spread.callsInFlight == [3, 1, 2])
        try await group.shutdownGracefully()
    }

    @Test("the event loop of a lane is the group's own")
    func laneEventLoops() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let spread = HTTP2ConnectionSpread(eventLoopGroup: group, streamsPerConnection: 1)
        let loops = Array(group.makeIterator())
        let first = try #require(spread.acquire())
        let second = try #require(spread.acquire())
        #expect(first.eventLoop === loops[0])
        #expect(second.eventLoop === loops[1])
        try await group.shutdownGracefully()
    }

    @Test("a response body larger than the limit is refused with a sentence, not collected")
    func oversizedBody() async throws {
        let server = try await ScriptedHTTPServer.start(answers: [
            .init(status: 200, body: String(repeating: "x", count: SecretManagerClient.maxResponseBytes + 1))
        ])
        let client = SecretManagerClient(
            httpClient: .shared,
            endpoint: SecretManagerEndpoint(baseURL: "http://\(server.host)", requiresCredentials: false),
            tokenProvider: nil, logger: Logger(label: "test"))
        let error = await #expect(throws: SecretManagerError.self) {
            _ = try await client.accessSecretVersion(name: "projects/p/secrets/s/versions/1", timeout: .seconds(60))
        }
        try await server.stop()
        #expect(error?.code == .invalidResponse)
        #expect(error?.description.contains("larger than \(SecretManagerClient.maxResponseBytes) bytes") == true)
    }
}
