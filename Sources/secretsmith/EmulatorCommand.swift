import ArgumentParser
import Dispatch
import Foundation
import Logging
import SecretManagerEmulator
import Secretsmith

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run a local Secret Manager speaking the REST v1 wire format.",
        discussion: """
            Serves /v1/projects/... (access, get, list, addVersion, enable, disable, destroy, create, \
            delete; global and regional paths) and admin endpoints under /_emulator/ (GET stats, \
            POST reset, POST/DELETE faults). Point secretsmith at it with \
            SECRET_MANAGER_EMULATOR_HOST=HOST:PORT. Stops on SIGINT or SIGTERM.

            Fault rules (--fault, repeatable): latency:MS[+JITTER], error:HTTP[/STATUS], quota:SECONDS \
            (429 with Retry-After), drop, stall:SECONDS, checksum; then optional ,method=access \
            ,resource=PATTERN ,rate=0.3 ,count=N. Example: --fault error:503,method=access,rate=0.3
            """)

    @Option(name: .long, help: "The address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The TCP port; 0 picks a free one.")
    var port = 8085

    @Option(name: .long, help: "Write the bound port to this file once listening (for scripts using --port 0).")
    var portFile: String?

    @Option(name: .long, help: "A YAML file of projects, secrets and versions to start with.")
    var seed: String?

    @Option(name: .long, help: "A fault injection rule (repeatable); see the discussion above.")
    var fault: [String] = []

    @Option(name: .long, help: "Seed for the fault injector's random numbers, for reproducible runs.")
    var faultSeed: UInt64?

    @Option(name: .long, help: "Log level for the emulator's request log on standard error.")
    var logLevel: Logger.Level = .notice

    func run() async throws {
        try await reportingErrors {
            var faults = FaultConfiguration(rules: [], seed: faultSeed)
            for text in fault {
                do {
                    faults.rules.append(try FaultRule(parsing: text))
                } catch {
                    throw UsageError("--fault \(text): \(error)")
                }
            }
            let seedData = try seed.map { try EmulatorSeed.load(path: $0) } ?? EmulatorSeed()
            var logger = Logger(label: "secretsmith.emulator") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = logLevel
            let emulator = SecretManagerEmulator(
                seed: seedData, configuration: EmulatorConfiguration(host: host, port: port, faults: faults),
                logger: logger)
            let portFile = self.portFile
            let host = self.host
            let server = Task {
                try await emulator.run { bound in
                    FileHandle.standardError.write(Data("secretsmith emulator listening on \(host):\(bound)\n".utf8))
                    if let portFile {
                        // Write then rename, so a reader never sees a partial number.
                        let temporary = portFile + ".tmp"
                        try? Data("\(bound)\n".utf8).write(to: URL(fileURLWithPath: temporary))
                        _ = rename(temporary, portFile)
                    }
                }
            }
            let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
            await signals.wait(orUntilDone: server)
            server.cancel()
            try await server.value
        }
    }
}

/// Waits for the first of some signals, or for a task to end.
struct SignalWaiter: Sendable {
    let signals: [Int32]

    func wait(orUntilDone task: Task<Void, any Error>) async {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        let watcher = Task {
            _ = await task.result
            continuation.yield()
        }
        for await _ in stream { break }
        watcher.cancel()
        sources.forEach { $0.cancel() }
    }
}
