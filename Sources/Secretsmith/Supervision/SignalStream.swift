#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Delivers signals sent to secretsmith as an `AsyncStream`, for `secretsmith watch`,
/// which decides what each means (forward it to the child, or stop).
///
/// While a stream lives, each of its signals has a handler instead of its default action
/// (so `SIGTERM` no longer ends the process, `SIGHUP` no longer kills it); ``cancel()``
/// (or deinitialization) puts back the disposition the signal had before the first
/// stream that handles it was created, usually the default.
///
/// How: the handler (async-signal-safe: it only calls `write(2)`) writes the signal's
/// number to a process-wide pipe; one dedicated thread reads the pipe and yields each
/// number to every live stream that asked for it. Nothing runs Swift code inside the
/// handler. Several streams may handle the same signal; each receives it. Signals that
/// arrive faster than the thread reads them are buffered in the pipe (64 KiB), then
/// dropped rather than blocking the handler. `SIGKILL` and `SIGSTOP` cannot be handled
/// and are left out, as is `SIGCHLD`, which the process reaper relies on.
///
/// The stream owns the disposition of its signals while it lives: another handler
/// installed for the same signal meanwhile (a Dispatch signal source, `signal(2)`) is
/// replaced when the stream is created or cancelled.
package final class SignalStream: Sendable {
    /// The signal numbers, in the order they arrive. One consumer only (an
    /// `AsyncStream`); it finishes when the stream is cancelled.
    package let signals: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let subscription: UInt64

    /// Starts handling `signals` (duplicates and unhandleable signals are ignored).
    package init(signals numbers: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.signals = stream
        self.continuation = continuation
        let handled = Set(numbers).subtracting([SIGKILL, SIGSTOP, SIGCHLD]).filter { $0 > 0 && $0 < 65 }
        subscription = SignalDispatcher.shared.subscribe(handled, continuation)
    }

    /// Stops handling the signals (the previous dispositions are back when it returns)
    /// and finishes ``signals``. Calling it again does nothing.
    package func cancel() {
        SignalDispatcher.shared.unsubscribe(subscription)
        continuation.finish()
    }

    deinit { cancel() }
}

/// The write end of the dispatcher's pipe, read by the signal handler; -1 before the
/// first subscription.
private let signalPipeWriteEnd = Atomic<Int32>(-1)

/// The handler installed for every subscribed signal: writes the number to the pipe,
/// keeping `errno` (the interrupted code may be about to read it).
private let forwardSignal: @convention(c) (Int32) -> Void = { number in
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteEnd.load(ordering: .relaxed), &byte, 1)
    errno = savedErrno
}

/// The process-wide state behind every ``SignalStream``.
private final class SignalDispatcher: Sendable {
    static let shared = SignalDispatcher()

    private struct Subscriber {
        var signals: Set<Int32>
        var continuation: AsyncStream<Int32>.Continuation
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextSubscriber: UInt64 = 0
        /// The disposition each handled signal had before, to restore.
        var previous: [Int32: sigaction] = [:]
        var readerStarted = false
    }

    private let state = Mutex(State())

    func subscribe(_ signals: Set<Int32>, _ continuation: AsyncStream<Int32>.Continuation) -> UInt64 {
        state.withLock { state in
            if !state.readerStarted {
                startReader()
                state.readerStarted = true
            }
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = Subscriber(signals: signals, continuation: continuation)
            for number in signals where state.previous[number] == nil {
                var action = sigaction()
                sigemptyset(&action.sa_mask)
                action.sa_flags = Int32(truncatingIfNeeded: SA_RESTART)
                #if os(Linux)
                action.__sigaction_handler.sa_handler = forwardSignal
                #else
                action.__sigaction_u.__sa_handler = forwardSignal
                #endif
                var previous = sigaction()
                if sigaction(number, &action, &previous) == 0 { state.previous[number] = previous }
            }
            return state.nextSubscriber
        }
    }

    func unsubscribe(_ id: UInt64) {
        state.withLock { state in
            guard state.subscribers.removeValue(forKey: id) != nil else { return }
            let stillHandled = state.subscribers.values.reduce(into: Set<Int32>()) { $0.formUnion($1.signals) }
            for (number, var previous) in state.previous where !stillHandled.contains(number) {
                _ = sigaction(number, &previous, nil)
                state.previous[number] = nil
            }
        }
    }

    /// Creates the pipe (both ends close-on-exec; the write end non-blocking, so the
    /// handler never waits) and the thread that reads it. Called once, under the lock.
    private func startReader() {
        var ends: [Int32] = [-1, -1]
        // pipe2(O_CLOEXEC) is not imported (it needs _GNU_SOURCE); every spawn closes
        // descriptors from 3 up in the child anyway.
        let created = pipe(&ends) == 0
        for end in ends where created { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        guard created else {
            fatalError("secretsmith: cannot create the signal pipe: \(String(cString: strerror(errno)))")
        }
        let readEnd = ends[0]
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        signalPipeWriteEnd.store(ends[1], ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    deliver(Int32(byte))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        thread.name = "secretsmith.signals"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    private func deliver(_ number: Int32) {
        let continuations = state.withLock { state in
            state.subscribers.values.filter { $0.signals.contains(number) }.map(\.continuation)
        }
        for continuation in continuations { continuation.yield(number) }
    }
}
