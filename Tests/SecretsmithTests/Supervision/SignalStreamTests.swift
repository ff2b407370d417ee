#if canImport(Glibc)
import Glibc
#endif
import Secretsmith
import Testing

/// The disposition of a signal in this process.
private enum Disposition: Equatable {
    case byDefault, ignored, handled
}

private func disposition(of number: Int32) -> Disposition {
    var action = sigaction()
    sigaction(number, nil, &action)
    let handler = unsafeBitCast(action.__sigaction_handler.sa_handler, to: Int.self)
    if handler == 0 { return .byDefault }
    if handler == unsafeBitCast(SIG_IGN, to: Int.self) { return .ignored }
    return .handled
}

/// The next signal of `stream`, or `nil` when none comes within `timeout` (a correctness
/// bound, not a speed assertion) or the stream finishes.
private func nextSignal(of stream: SignalStream, within timeout: Duration = .seconds(20)) async -> Int32? {
    await withTaskGroup(of: Int32?.self) { group in
        group.addTask {
            var iterator = stream.signals.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

// Serialized: these tests own SIGUSR1/SIGUSR2 of the whole test process.
@Suite("Signal stream", .serialized, .timeLimit(.minutes(1)))
struct SignalStreamTests {
    @Test("a signal sent to the process arrives on the stream; cancel restores the default")
    func deliversAndRestores() async throws {
        try #require(disposition(of: SIGUSR1) == .byDefault)
        let stream = SignalStream(signals: [SIGUSR1])
        #expect(disposition(of: SIGUSR1) == .handled)
        #expect(kill(getpid(), SIGUSR1) == 0)
        #expect(await nextSignal(of: stream) == SIGUSR1)
        #expect(kill(getpid(), SIGUSR1) == 0)
        #expect(await nextSignal(of: stream) == SIGUSR1)
        stream.cancel()
        #expect(disposition(of: SIGUSR1) == .byDefault)
        #expect(await nextSignal(of: stream) == nil)  // finished
        stream.cancel()  // again: nothing happens
        #expect(disposition(of: SIGUSR1) == .byDefault)
    }

    @Test("two streams of one signal both receive it; the disposition stays until the last is cancelled")
    func twoStreams() async throws {
        try #require(disposition(of: SIGUSR2) == .byDefault)
        let first = SignalStream(signals: [SIGUSR2, SIGUSR1])
        let second = SignalStream(signals: [SIGUSR2])
        #expect(kill(getpid(), SIGUSR2) == 0)
        #expect(await nextSignal(of: first) == SIGUSR2)
        #expect(await nextSignal(of: second) == SIGUSR2)

        first.cancel()
        #expect(disposition(of: SIGUSR1) == .byDefault)
        #expect(disposition(of: SIGUSR2) == .handled)
        #expect(kill(getpid(), SIGUSR2) == 0)
        #expect(await nextSignal(of: second) == SIGUSR2)

        second.cancel()
        #expect(disposition(of: SIGUSR2) == .byDefault)
    }

    @Test("a signal ignored before the stream is ignored again after it")
    func restoresPreviousDisposition() async throws {
        try #require(disposition(of: SIGUSR2) == .byDefault)
        signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, SIG_DFL) }
        let stream = SignalStream(signals: [SIGUSR2])
        #expect(disposition(of: SIGUSR2) == .handled)
        #expect(kill(getpid(), SIGUSR2) == 0)
        #expect(await nextSignal(of: stream) == SIGUSR2)
        stream.cancel()
        #expect(disposition(of: SIGUSR2) == .ignored)
    }

    @Test("releasing the last reference to a stream restores the default, as cancel does")
    func deinitRestores() throws {
        try #require(disposition(of: SIGUSR1) == .byDefault)
        do {
            let stream = SignalStream(signals: [SIGUSR1])
            #expect(disposition(of: SIGUSR1) == .handled)
            _ = stream
        }
        #expect(disposition(of: SIGUSR1) == .byDefault)
    }

    @Test("SIGKILL, SIGSTOP and SIGCHLD are never handled")
    func unhandleable() {
        let before = disposition(of: SIGCHLD)
        let stream = SignalStream(signals: [SIGKILL, SIGSTOP, SIGCHLD])
        #expect(disposition(of: SIGCHLD) == before)
        stream.cancel()
    }
}
