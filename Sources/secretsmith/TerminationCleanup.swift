import Dispatch
import Foundation
import Secretsmith

/// Removes staged temporary output files when the process is told to stop (SIGTERM,
/// SIGINT, SIGHUP), then exits with 128 + the signal number, as a shell reports it.
///
/// The cleanup runs on a Dispatch queue that learns about the signal, not inside a raw
/// signal handler: the registry's lock and Swift's runtime are not async-signal-safe.
enum TerminationCleanup {
    private static let queue = DispatchQueue(label: "secretsmith.termination")
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Installs the handlers; call once, before the first output is staged.
    static func install() {
        queue.sync {
            guard sources.isEmpty else { return }
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    AtomicFileWriter.removeStagedTemporaryFiles()
                    _exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
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
