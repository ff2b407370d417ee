#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Secretsmith
import SecretsmithTestSupport
import Testing

@Suite("Process spawner", .timeLimit(.minutes(1)))
struct ProcessSpawnerTests {
    @Test("a child gets default dispositions and an empty mask although the parent ignores and blocks signals")
    func defaultSignalState() async throws {
        try await withWorkspace { workspace in
            let script = #"exec grep -E '^Sig(Blk|Ign):' /proc/self/status > "$OUT""#
            let environment = childPath.merging(["OUT": workspace.path("status")]) { $1 }
            // SIGPIPE ignored process-wide (as SwiftNIO programs run), SIGUSR2 blocked in
            // this thread; both restored before the spawn returns to the executor.
            let previousPipe = signal(SIGPIPE, SIG_IGN)
            var blocked = sigset_t()
            var previousMask = sigset_t()
            sigemptyset(&blocked)
            sigaddset(&blocked, SIGUSR2)
            pthread_sigmask(SIG_BLOCK, &blocked, &previousMask)
            let spawned = Result {
                try ProcessSpawner.spawn(path: "/bin/sh", arguments: ["sh", "-c", script], environment: environment)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
            signal(SIGPIPE, previousPipe)

            let process = try spawned.get()
            #expect(await process.waitUntilEnded() == .exited(0))
            let status = workspace.text("status") ?? ""
            func mask(_ field: String) -> UInt64? {
                status.split(separator: "\n").first { $0.hasPrefix("\(field):") }
                    .flatMap { UInt64($0.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
            }
            #expect(mask("SigBlk") == 0, "\(status)")
            // glibc's posix_spawn leaves its two internal signals (32 and 33, below SIGRTMIN
            // and unusable by programs) ignored; every other signal has its default action.
            let glibcInternal: UInt64 = 1 << 31 | 1 << 32
            #expect(mask("SigIgn").map { $0 & ~glibcInternal } == 0, "\(status)")
        }
    }

    @Test("a child reaped by its waiter thread leaves no zombie, and signals after its end are not sent")
    func reapedOnce() async throws {
        let process = try ProcessSpawner.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exit 9"], environment: childPath)
        #expect(await process.waitUntilEnded() == .exited(9))
        #expect(!process.isRunning)
        // Reaped: the pid is no longer our child (waitpid fails with ECHILD) and /proc has no zombie.
        var status: Int32 = 0
        #expect(waitpid(process.pid, &status, WNOHANG) == -1 && errno == ECHILD)
        #expect(hasEnded(process.pid))
        #expect(!process.send(SIGTERM))
        // Every later wait reports the same end.
        #expect(await process.wait() == .exited(9))
        #expect(await process.wait(timeout: .seconds(1)) == .exited(9))
    }

    @Test("a wait with a timeout returns nil while the child runs")
    func waitTimeout() async throws {
        let process = try ProcessSpawner.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exec sleep 30"], environment: childPath)
        #expect(await process.wait(timeout: .milliseconds(100)) == nil)
        #expect(process.isRunning)
        #expect(process.send(SIGKILL))
        #expect(await process.waitUntilEnded() == .signaled(SIGKILL))
    }

    @Test("a cancelled wait returns nil and leaves the child alone")
    func cancelledWait() async throws {
        let process = try ProcessSpawner.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exec sleep 30"], environment: childPath)
        let waiter = Task { await process.wait() }
        waiter.cancel()
        #expect(await waiter.value == nil)
        #expect(process.isRunning)
        process.send(SIGKILL)
        #expect(await process.waitUntilEnded() == .signaled(SIGKILL))
    }
}
