import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Google's Pub/Sub emulator (`cloud-pubsub-emulator`, a Java program from the package
/// `google-cloud-cli-pubsub-emulator`) as a child process on a free loopback port, in its
/// own process group so stopping it stops everything it started.
///
/// Use ``withPubSubEmulator(_:)``, which always stops it; this type is its machinery.
package final class PubSubEmulatorProcess: Sendable {
    /// `127.0.0.1:PORT`, the value for `PUBSUB_EMULATOR_HOST`.
    package let host: String
    /// The process id, also the process group id.
    package let pid: pid_t
    /// The emulator's stdout and stderr.
    package let logPath: String
    /// How long it took from spawning to the first answer.
    package let startupDuration: Duration

    /// How long ``start(readinessTimeout:)`` waits by default for the first answer: the
    /// JVM takes 1–3 s on an idle machine and much longer on a loaded 2-core one.
    package static let defaultReadinessTimeout = Duration.seconds(90)

    private init(host: String, pid: pid_t, logPath: String, startupDuration: Duration) {
        self.host = host
        self.pid = pid
        self.logPath = logPath
        self.startupDuration = startupDuration
    }

    /// Starts the emulator and waits until it answers `GET /`.
    ///
    /// - Parameters:
    ///   - readinessTimeout: how long to wait for the first answer.
    ///   - locate: finds the launcher (``PubSubEmulatorLocator/locate(environment:standardRoots:)``).
    /// - Throws: ``PubSubEmulatorUnavailable`` when the emulator or Java is not installed;
    ///   ``PubSubEmulatorStartError`` (with the emulator's log) when it exits or does not
    ///   answer in time. Nothing is left running when it throws.
    package static func start(
        readinessTimeout: Duration = defaultReadinessTimeout,
        locate: () throws -> String = { try PubSubEmulatorLocator.locate() }
    ) async throws -> PubSubEmulatorProcess {
        let executable = try locate()
        var lastError: (any Error)?
        // A free port can be taken between probing it and the JVM binding it: try again.
        for _ in 1...3 {
            let port = try freeLoopbackPort()
            let logPath = NSTemporaryDirectory() + "pubsub-emulator-\(port)-\(UUID().uuidString).log"
            let started = ContinuousClock.now
            let pid = try spawn(executable, arguments: ["--host=127.0.0.1", "--port=\(port)"], logPath: logPath)
            let process = PubSubEmulatorProcess(
                host: "127.0.0.1:\(port)", pid: pid, logPath: logPath, startupDuration: .zero)
            do {
                try await process.waitUntilReady(timeout: readinessTimeout)
                return PubSubEmulatorProcess(
                    host: process.host, pid: pid, logPath: logPath, startupDuration: ContinuousClock.now - started)
            } catch {
                await process.stop()
                if error is CancellationError { throw error }
                lastError = error
                // The JVM reports the lost port and may keep running (its other threads are
                // not daemons): the log decides, not whether it exited.
                if let startError = error as? PubSubEmulatorStartError, startError.log.contains("Address already in use") {
                    continue
                }
                throw error
            }
        }
        throw lastError ?? PubSubEmulatorStartError(message: "no free port", log: "", exited: false)
    }

    /// Stops the process group (SIGTERM, then SIGKILL after 10 s), reaps the child and
    /// removes the log. Runs to the end even when the calling task is cancelled.
    package func stop() async {
        let pid = pid
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                Self.terminateGroup(pid)
                continuation.resume()
            }
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// The emulator's output so far.
    package func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    private func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        var request = HTTPClientRequest(url: "http://\(host)/")
        request.method = .GET
        while true {
            try Task.checkCancellation()
            if Self.hasExited(pid) {
                throw PubSubEmulatorStartError(
                    message: "the Pub/Sub emulator exited during startup", log: log(), exited: true)
            }
            // Taken between the probe and the JVM's bind: the JVM does not always exit.
            let output = log()
            if output.contains("Address already in use") {
                throw PubSubEmulatorStartError(
                    message: "the Pub/Sub emulator could not bind \(host)", log: output, exited: false)
            }
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            guard ContinuousClock.now < deadline else {
                throw PubSubEmulatorStartError(
                    message: "the Pub/Sub emulator did not answer at \(host) within \(timeout)", log: log(),
                    exited: false)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Signals the group, then reaps the leader. The leader is reaped only after the last
    /// signal: until then its pid, which names the group, cannot be reused.
    private static func terminateGroup(_ pid: pid_t) {
        kill(-pid, SIGTERM)
        var polls = 0
        while !hasExited(pid) && polls < 200 {  // 10 s
            usleep(50_000)
            polls += 1
        }
        // Whatever is left in the group (the JVM if it ignored SIGTERM) goes now.
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// Whether the child has exited, without reaping it (`WNOWAIT`).
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return true }
        #if canImport(Glibc)
        return info._sifields._sigchld.si_pid == pid
        #else
        return info.si_pid == pid
        #endif
    }

    /// A loopback port nothing listens on at the moment of asking.
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PubSubEmulatorStartError(message: "socket() failed: errno \(errno)", log: "", exited: false) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw PubSubEmulatorStartError(message: "bind() failed: errno \(errno)", log: "", exited: false) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Spawns `executable` in a new process group, stdin from /dev/null, stdout and stderr
    /// to `logPath`, signal dispositions and mask reset.
    private static func spawn(_ executable: String, arguments: [String], logPath: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw PubSubEmulatorStartError(
                message: "posix_spawn \(executable) failed: \(String(cString: strerror(result)))", log: "",
                exited: true)
        }
        return pid
    }
}

/// The emulator is not installed here (not an error of the code under test).
package struct PubSubEmulatorUnavailable: Error, CustomStringConvertible {
    package var reason: String
    package var description: String { reason }
}

/// The emulator is installed but did not start.
package struct PubSubEmulatorStartError: Error, CustomStringConvertible {
    package var message: String
    package var log: String
    /// Whether the process exited (as opposed to not answering).
    package var exited: Bool
    package var description: String {
        log.isEmpty ? message : "\(message); its output:\n\(log.suffix(4000))"
    }
}
