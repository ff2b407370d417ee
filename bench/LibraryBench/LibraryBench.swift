// secretsmith-bench: the library's hot paths, measured in-process against the bundled
// emulator on loopback. Prints one JSON object per line; bench/bench.py collects them.
//
//   secretsmith-bench cache-hits --tasks 1 --seconds 2 [--resolved 1]
//   secretsmith-bench cold-single-flight --requests 1000 --latency-ms 20
//   secretsmith-bench emulator-rate --seconds 3 --connections 32
import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
import Secretsmith
import Synchronization

@main
enum LibraryBench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let scenario = arguments.first else {
            FileHandle.standardError.write(Data("usage: secretsmith-bench cache-hits|cold-single-flight|emulator-rate [options]\n".utf8))
            exit(64)
        }
        func option(_ name: String, _ fallback: Double) -> Double {
            guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count,
                let value = Double(arguments[index + 1])
            else { return fallback }
            return value
        }
        switch scenario {
        case "cache-hits":
            try await cacheHits(
                tasks: Int(option("tasks", 1)), seconds: option("seconds", 2), resolved: option("resolved", 0) != 0)
        case "cold-single-flight":
            try await coldSingleFlight(requests: Int(option("requests", 1000)), latencyMilliseconds: Int(option("latency-ms", 20)))
        case "open-breaker":
            try await openBreaker(accesses: Int(option("accesses", 1000)))
        case "emulator-rate":
            try await emulatorRate(seconds: option("seconds", 3), connections: Int(option("connections", 32)))
        default:
            FileHandle.standardError.write(Data("unknown scenario \(scenario)\n".utf8))
            exit(64)
        }
    }

    static let configurationText = """
        version: 1
        environments:
          bench:
            projects:
              app:
                project_id: bench-project
                secrets:
                  hot: {}
        """

    static func seed() -> EmulatorSeed {
        EmulatorSeed(projects: [
            .init(id: "bench-project", secrets: [.init(id: "hot", versions: [.init(payload: Array("bench-value".utf8))])])
        ])
    }

    static func makeManager(port: Int, client: HTTPClient) throws -> MultiEnvironmentSecretManager {
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:\(port)"]
        let configuration = try Configuration.parse(
            Array(configurationText.utf8), file: "bench.yaml", environment: environment, directory: "/tmp")
        return MultiEnvironmentSecretManager(configuration: configuration, httpClient: client, processEnvironment: environment)
    }

    static func report(_ fields: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Accesses per second answered from the cache, from `tasks` concurrent tasks, by the
    /// reference's text or (`resolved`) by a ``ResolvedSecretReference``.
    static func cacheHits(tasks: Int, seconds: Double, resolved: Bool) async throws {
        let emulator = SecretManagerEmulator(seed: seed())
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let manager = try makeManager(port: port, client: client)
        _ = try await manager.accessSecretVersion("bench/app/hot")  // warm the cache
        let handle = try manager.resolve("bench/app/hot")
        let clock = ContinuousClock()
        let end = clock.now + .nanoseconds(Int64(seconds * 1e9))
        let started = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var count = 0
                    while clock.now < end {
                        if resolved {
                            for _ in 0..<256 { _ = try await manager.accessSecretVersion(handle) }
                        } else {
                            for _ in 0..<256 { _ = try await manager.accessSecretVersion("bench/app/hot") }
                        }
                        count += 256
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = (clock.now - started)
        let upstream = await emulator.stats().count(.access)
        report([
            "scenario": "cache-hits", "tasks": tasks, "resolved": resolved, "accesses": total,
            "seconds": elapsed.seconds, "per_second": Double(total) / elapsed.seconds, "upstream_calls": upstream,
        ])
        try await client.shutdown()
        await emulator.stop()
    }

    /// `requests` concurrent cold requests for one version: upstream calls and wall time.
    static func coldSingleFlight(requests: Int, latencyMilliseconds: Int) async throws {
        let emulator = SecretManagerEmulator(
            seed: seed(),
            configuration: EmulatorConfiguration(
                faults: FaultConfiguration(rules: [FaultRule(.latency(milliseconds: latencyMilliseconds))])))
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let manager = try makeManager(port: port, client: client)
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<requests {
                group.addTask { _ = try await manager.accessSecretVersion("bench/app/hot") }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - started
        report([
            "scenario": "cold-single-flight", "requests": requests, "latency_ms": latencyMilliseconds,
            "seconds": elapsed.seconds, "upstream_calls": await emulator.stats().count(.access),
        ])
        try await client.shutdown()
        await emulator.stop()
    }

    /// Per-call time of accesses refused by an open circuit breaker (no network call).
    static func openBreaker(accesses: Int) async throws {
        let emulator = SecretManagerEmulator(
            seed: seed(),
            configuration: EmulatorConfiguration(
                faults: FaultConfiguration(rules: [FaultRule(.error(httpStatus: 503))])))
        let port = try await emulator.start()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let environment = ["SECRET_MANAGER_EMULATOR_HOST": "127.0.0.1:\(port)"]
        let text = configurationText.replacingOccurrences(
            of: "version: 1\n",
            with: "version: 1\ndefaults:\n  retry: { max_attempts: 1 }\n  circuit_breaker: { failure_threshold: 5, recovery_timeout: 5m }\n")
        let configuration = try Configuration.parse(
            Array(text.utf8), file: "bench.yaml", environment: environment, directory: "/tmp")
        let manager = MultiEnvironmentSecretManager(
            configuration: configuration, httpClient: client, processEnvironment: environment)
        for _ in 0..<5 { _ = try? await manager.accessSecretVersion("bench/app/hot") }  // opens it
        let before = await emulator.stats().count(.access)
        let clock = ContinuousClock()
        let started = clock.now
        var refused = 0
        for _ in 0..<accesses {
            do { _ = try await manager.accessSecretVersion("bench/app/hot") } catch { refused += 1 }
        }
        let elapsed = clock.now - started
        report([
            "scenario": "open-breaker", "accesses": accesses, "refused": refused, "seconds": elapsed.seconds,
            "microseconds_per_call": elapsed.seconds / Double(accesses) * 1e6,
            "upstream_calls_while_open": await emulator.stats().count(.access) - before,
        ])
        try await client.shutdown()
        await emulator.stop()
    }

    /// The emulator's own access rate with no injected latency, from `connections`
    /// concurrent loops over a pooled client.
    static func emulatorRate(seconds: Double, connections: Int) async throws {
        let emulator = SecretManagerEmulator(seed: seed())
        let port = try await emulator.start()
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let url = "http://127.0.0.1:\(port)/v1/projects/bench-project/secrets/hot/versions/1:access"
        let clock = ContinuousClock()
        let end = clock.now + .nanoseconds(Int64(seconds * 1e9))
        let started = clock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var count = 0
                    while clock.now < end {
                        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - started
        report([
            "scenario": "emulator-rate", "connections": connections, "requests": total,
            "seconds": elapsed.seconds, "per_second": Double(total) / elapsed.seconds,
        ])
        try await client.shutdown()
        await emulator.stop()
    }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
