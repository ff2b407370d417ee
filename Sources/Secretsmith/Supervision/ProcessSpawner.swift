#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Starts child processes with `posix_spawn(3)` for `secretsmith watch` (the supervised
/// app and `on_change` commands).
///
/// What the child gets:
/// - exactly the given environment (nothing of secretsmith's own is added);
/// - standard input, output and error of secretsmith (or `/dev/null` as standard input),
///   and no other descriptor: every descriptor from 3 up is closed in the child
///   (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34; elsewhere every descriptor
///   of secretsmith is marked close-on-exec first). Descriptors secretsmith itself
///   inherited (systemd's `LISTEN_FDS`) are not passed on: `LISTEN_PID` would name
///   secretsmith, not the child;
/// - the default disposition for every signal and an empty signal mask
///   (`POSIX_SPAWN_SETSIGDEF`, `POSIX_SPAWN_SETSIGMASK`): ignored signals survive
///   `execve`, and secretsmith ignores `SIGPIPE` (SwiftNIO) and blocks signals on some
///   threads (libdispatch);
/// - secretsmith's resource limits, including the soft `RLIMIT_CORE` of 0 that
///   secretsmith sets for itself (the hard limit is untouched, so the child may raise
///   it): `posix_spawn` cannot give the child other limits, and raising secretsmith's own
///   limit around the spawn would let a crash in that window dump secrets;
/// - no `PR_SET_PDEATHSIG`: `posix_spawn` has no hook to set it, and on Linux the signal
///   follows the death of the *thread* that spawned the child, not of the process, so a
///   retiring worker thread would kill a healthy child. A `watch` killed with `SIGKILL`
///   therefore leaves its child running (reparented to init or the nearest subreaper),
///   as any supervisor killed that way does; a container's PID 1 going away ends the
///   container anyway.
///
/// If secretsmith was started with `SIGCHLD` ignored (`SIG_IGN` is inherited across
/// `execve`), the kernel would reap children itself and their exit status would be lost;
/// the first spawn sets `SIGCHLD` back to its default (`SIG_DFL`, which ignores it
/// without auto-reaping).
package enum ProcessSpawner {
    /// The status reported when a child's end could not be observed (another party
    /// reaped it): 255, which no signal termination maps to.
    package static let unknownExitStatus: Int32 = 255

    /// What the child reads as standard input.
    package enum StandardInput: Sendable {
        /// secretsmith's own standard input.
        case inherit
        /// `/dev/null` (the child reads end of file at once).
        case null
    }

    /// Spawns `path` with `arguments` (`arguments[0]` is the name the program sees).
    ///
    /// A file the kernel cannot execute (`ENOEXEC`: a script without `#!`) is run with
    /// `/bin/sh`, as `execvp` and shells do.
    ///
    /// - Parameters:
    ///   - path: the program, as ``CommandLocator`` found it.
    ///   - newProcessGroup: start the child in a process group of its own (so a timeout
    ///     can signal everything it started, and a terminal's Ctrl-C does not reach it).
    /// - Throws: ``CommandLookupError`` naming `arguments[0]`: `.notFound` (127) when the
    ///   file vanished since the lookup, else `.execFailed(errno:)` (126).
    package static func spawn(
        path: String,
        arguments: [String],
        environment: [String: String],
        standardInput: StandardInput = .inherit,
        newProcessGroup: Bool = false
    ) throws(CommandLookupError) -> SpawnedProcess {
        _ = resetChildSignalDisposition
        let command = arguments.first ?? path
        var code = spawnOnce(
            path: path, arguments: arguments, environment: environment,
            standardInput: standardInput, newProcessGroup: newProcessGroup)
        if case .failure(ENOEXEC) = code {
            code = spawnOnce(
                path: "/bin/sh", arguments: ["sh", path] + arguments.dropFirst(), environment: environment,
                standardInput: standardInput, newProcessGroup: newProcessGroup)
        }
        switch code {
        case .success(let pid):
            return SpawnedProcess(pid: pid, leadsProcessGroup: newProcessGroup)
        case .failure(let errorNumber):
            throw CommandLookupError(
                command: command, reason: errorNumber == ENOENT ? .notFound : .execFailed(errno: errorNumber))
        }
    }

    private enum Outcome {
        case success(pid_t)
        case failure(Int32)
    }

    private static func spawnOnce(
        path: String, arguments: [String], environment: [String: String],
        standardInput: StandardInput, newProcessGroup: Bool
    ) -> Outcome {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { return .failure(ENOMEM) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawnattr_init(&attributes) == 0 else { return .failure(ENOMEM) }
        defer { posix_spawnattr_destroy(&attributes) }

        if standardInput == .null {
            let opened = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            if opened != 0 { return .failure(opened) }
        }
        if let closeFrom = addCloseFrom {
            let added = closeFrom(&actions, 3)
            if added != 0 { return .failure(added) }
        } else {
            markDescriptorsCloseOnExec()
        }

        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        return result == 0 ? .success(pid) : .failure(result)
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34), looked up at run time;
    /// `nil` where the C library has none.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(
            symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
    }()

    /// Marks every descriptor from 3 up close-on-exec (`close_range(3, ~0,
    /// CLOSE_RANGE_CLOEXEC)`, Linux 5.11), the fallback where the file actions cannot
    /// close them.
    private static func markDescriptorsCloseOnExec() {
        typealias CloseRange = @convention(c) (UInt32, UInt32, Int32) -> Int32
        let closeRangeCloexec: Int32 = 1 << 2  // CLOSE_RANGE_CLOEXEC, linux/close_range.h
        if let symbol = dlsym(dlopen(nil, RTLD_NOW), "close_range") {
            _ = unsafeBitCast(symbol, to: CloseRange.self)(3, UInt32.max, closeRangeCloexec)
        }
    }

    /// Sets an ignored `SIGCHLD` (or one with `SA_NOCLDWAIT`) back to the default, once.
    private static let resetChildSignalDisposition: Void = {
        var current = sigaction()
        guard sigaction(SIGCHLD, nil, &current) == 0 else { return }
        #if os(Linux)
        let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        #else
        let handler = unsafeBitCast(current.__sigaction_u.__sa_handler, to: Int.self)
        #endif
        let ignored = handler == unsafeBitCast(SIG_IGN, to: Int.self)
        let noChildWait = current.sa_flags & Int32(truncatingIfNeeded: SA_NOCLDWAIT) != 0
        if ignored || (handler == 0 && noChildWait) {
            var action = sigaction()
            sigemptyset(&action.sa_mask)
            #if os(Linux)
            action.__sigaction_handler.sa_handler = SIG_DFL
            #else
            action.__sigaction_u.__sa_handler = SIG_DFL
            #endif
            _ = sigaction(SIGCHLD, &action, nil)
        }
    }()
}
