import Dispatch
import Foundation
import Secretsmith
import Synchronization

/// Removes staged temporary output files when the process is told to stop (SIGTERM,
/// SIGINT, SIGHUP), then exits with 128 + the signal number, as a shell reports it.
///
/// The cleanup runs on a Dispatch queue that learns about the signal, not inside a raw
/// signal handler: the registry's lock and Swift's runtime are not async-signal-safe.
/// A signal during the rename phase is deferred, not lost: the writer renames every
/// output while holding the registry's lock, and the cleanup takes that lock, so it runs
/// after the last rename (every destination new), then exits with the signal's status.
enum TerminationCleanup {
    private static let queue = DispatchQueue(label: "secretsmith.termination")
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]
    /// The signal being handled, 0 when none.
    private static let received = Atomic<Int32>(0)

    /// Installs the handlers; call once, before the first output is staged. Also marks
    /// the start of the run (older temporary files of its outputs are stale).
    static func install() {
        _ = ProcessStart.time
        queue.sync {
            guard sources.isEmpty else { return }
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    received.store(number, ordering: .sequentiallyConsistent)
                    AtomicFileWriter.removeStagedTemporaryFiles()
                    _exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// When a termination signal is being handled, waits for its handler, which ends the
    /// process with 128 + the signal number; otherwise returns at once. A command calls it
    /// before it exits on its own, so a run stopped by a signal never reports another
    /// status (such as 73 for the writes the cleanup refused).
    static func deferToSignal() {
        guard received.load(ordering: .sequentiallyConsistent) != 0 else { return }
        // The handler runs on `queue` and never returns; this waits for it to end the process.
        queue.sync {}
        let number = received.load(ordering: .sequentiallyConsistent)
        _exit(128 + number)
    }

    /// Restores the default dispositions (before `execve`, since an ignored signal stays
    /// ignored in the new program).
    static func uninstall() {
        queue.sync {
            sources.forEach { $0.cancel() }
            sources.removeAll()
            for number in signals { signal(number, SIG_DFL) }
        }
    }
}
