import Foundation
import Logging
import PubSubEmulatorHarness
import Secretsmith
import SecretsmithTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `secretsmith emulator` publishing event notifications to Google's Pub/Sub emulator, and
/// `scripts/pubsub-emulator.sh`, as a user (or `make demo`) runs them.
@Suite(.serialized) struct EmulatorEventsEndToEndTests {
    static let topic = "projects/acme-prod/topics/secret-events"
    static let subscription = "projects/acme-prod/subscriptions/watcher"

    static let seed = """
        projects:
          acme-prod:
            number: 123456789012
            secrets:
              db-password:
                versions: [ "v1-\(StandardSeed.sentinel)" ]
                topics: [ \(topic) ]
        """

    @Test func theEmulatorCommandPublishesToThePubSubEmulatorItIsGiven() async throws {
        try await withPubSubEmulator { host in
            let pubSub = PubSubClient(
                httpClient: .shared, endpoint: try PubSubEndpoint.resolve(environment: ["PUBSUB_EMULATOR_HOST": host]),
                tokenProvider: nil, logger: Logger(label: "test"))
            try await pubSub.createTopic(Self.topic)
            try await pubSub.createSubscription(Self.subscription, topic: Self.topic, ackDeadlineSeconds: 60)
            try await withWorkspace { workspace in
                let seed = try workspace.write("seed.yaml", Self.seed)
                try await withEmulatorProcess(seed: seed, in: workspace, extraArguments: ["--pubsub-emulator-host", host]) {
                    emulator in
                    let payload = Data("v2-\(StandardSeed.sentinel)".utf8).base64EncodedString()
                    let added = try emulator.request(
                        "POST", "/v1/projects/acme-prod/secrets/db-password:addVersion", body: ["payload": ["data": payload]])
                    #expect((added as? [String: Any])?["name"] as? String == "projects/123456789012/secrets/db-password/versions/2")

                    var received: [ReceivedMessage] = []
                    for _ in 0..<5 where received.isEmpty {
                        received = try await pubSub.pull(subscription: Self.subscription, maxMessages: 10, timeout: .seconds(30))
                    }
                    let event = try #require(received.first.map { SecretEvent(message: $0.message) })
                    #expect(received.count == 1)
                    #expect(event.type == .versionAdd)
                    #expect(event.secret?.name == "projects/123456789012/secrets/db-password")
                    #expect(event.versionNumber == 2)
                    #expect(event.isRelevant)
                    #expect(!String(decoding: received[0].message.data, as: UTF8.self).contains(StandardSeed.sentinel))
                    #expect(try emulator.stats()["eventsPublished"] as? [String: Int] == ["SECRET_VERSION_ADD": 1])
                }
                let log = try String(contentsOfFile: workspace.path("emulator.log"), encoding: .utf8)
                #expect(log.contains("Publishing event notifications to the Pub/Sub emulator"), "\(log)")
                #expect(!log.contains(StandardSeed.sentinel))
            }
        }
    }

    @Test(arguments: [
        (["--pubsub-emulator-host", "no-port"], [:], "--pubsub-emulator-host no-port"),
        ([], ["PUBSUB_EMULATOR_HOST": "no-port"], "PUBSUB_EMULATOR_HOST no-port"),
    ] as [([String], [String: String], String)])
    func aPubSubHostThatIsNotHostAndPortIsAUsageError(arguments: [String], environment: [String: String], words: String)
        throws
    {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let result = try CommandRunner.run(["emulator", "--port", "0"] + arguments, in: workspace.url, environment: environment)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(words), "\(result.stderr)")
        #expect(result.stderr.contains("HOST:PORT"), "\(result.stderr)")
    }

    @Test func theScriptStartsThePubSubEmulatorAndStopsItsWholeProcessGroup() throws {
        do {
            _ = try PubSubEmulatorLocator.locate()
        } catch let unavailable as PubSubEmulatorUnavailable {
            if ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" { throw unavailable }
            try Test.cancel("skipped: \(unavailable.reason)")
        }
        let workspace = try Workspace()
        defer { workspace.remove() }
        let script = CommandRunner.packageRoot.appendingPathComponent("scripts/pubsub-emulator.sh").path
        let directory = workspace.path("pubsub")
        let port = try Self.freePort()
        defer { _ = try? Self.shell([script, "stop", directory]) }

        let started = try Self.shell([script, "start", String(port), directory])
        #expect(started.status == 0, "\(started.output)")
        #expect(started.output.contains("PUBSUB_EMULATOR_HOST=127.0.0.1:\(port)"))
        let pid = try #require(pid_t(try String(contentsOfFile: "\(directory)/pubsub-emulator.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(-pid, 0) == 0, "the process group runs")

        let again = try Self.shell([script, "start", String(port), directory])
        #expect(again.status == 1, "a second start from the same directory is refused: \(again.output)")

        let stopped = try Self.shell([script, "stop", directory])
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(kill(-pid, 0) == -1, "no process of the group is left")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/pubsub-emulator.pid"))
        #expect(try Self.shell([script, "start", "not-a-port", directory]).status == 2)
    }

    /// Runs a command, stdout and stderr together into a file.
    static func shell(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = NSTemporaryDirectory() + "pubsub-script-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }

    /// A loopback port nothing listens on at the moment of asking.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
