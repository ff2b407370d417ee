import Foundation
import Testing

/// Runs `body` with Google's Pub/Sub emulator listening at the `host` it is given
/// (`127.0.0.1:PORT`, the value for `PUBSUB_EMULATOR_HOST`), and stops the emulator
/// afterwards, whether `body` returns, throws or is cancelled.
///
/// Each call starts its own emulator (a JVM: about 1–3 s here) on a free port, so tests
/// may run in parallel; an emulator holds its topics and subscriptions in memory only.
///
/// When the emulator is not installed the current test is skipped (`Test.cancel`) with a
/// message naming the package `google-cloud-cli-pubsub-emulator`, except under CI
/// (`CI=true`), where a missing emulator fails the test.
///
/// - Parameters:
///   - environment: where `CI`, `CLOUDSDK_ROOT`, `PATH` and `JAVA_HOME` are read.
///   - standardRoots: the Google Cloud SDK install places searched besides those.
/// - Throws: what `body` throws; ``PubSubEmulatorStartError`` when the emulator is
///   installed but does not start; ``PubSubEmulatorUnavailable`` under CI.
package func withPubSubEmulator<T>(
    isolation: isolated (any Actor)? = #isolation,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    standardRoots: [String] = PubSubEmulatorLocator.standardRoots,
    _ body: (_ host: String) async throws -> T
) async throws -> T {
    let emulator: PubSubEmulatorProcess
    do {
        emulator = try await PubSubEmulatorProcess.start {
            try PubSubEmulatorLocator.locate(environment: environment, standardRoots: standardRoots)
        }
    } catch let unavailable as PubSubEmulatorUnavailable {
        if environment["CI"]?.lowercased() == "true" {
            throw unavailable
        }
        try Test.cancel("skipped: \(unavailable.reason)")
    }
    PubSubEmulatorStartupLog.record(emulator)
    do {
        let result = try await body(emulator.host)
        await emulator.stop()
        return result
    } catch {
        await emulator.stop()
        throw error
    }
}

/// Startup times, printed once per emulator to stderr: the emulator's cost in a test run.
enum PubSubEmulatorStartupLog {
    static func record(_ emulator: PubSubEmulatorProcess) {
        let milliseconds = Int(emulator.startupDuration.components.seconds * 1000)
            + Int(emulator.startupDuration.components.attoseconds / 1_000_000_000_000_000)
        FileHandle.standardError.write(
            Data("Pub/Sub emulator ready at \(emulator.host) after \(milliseconds) ms\n".utf8))
    }
}
