#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Secretsmith

/// Replaces the secretsmith process with another program (`execve`), so the program keeps
/// the process id (PID 1 in a container), receives signals directly, and its exit status
/// is the process's.
enum ProcessReplacement {
    /// The process's environment as `NAME=value` byte strings, exactly as `environ` holds
    /// them (not decoded, so non-UTF-8 bytes survive).
    static func inheritedEnvironment() -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(Array(UnsafeBufferPointer(start: entry, count: strlen(entry)).map { UInt8(bitPattern: $0) }))
            cursor += 1
        }
        return entries
    }

    /// Execs `path` with `arguments` (`arguments[0]` is the name the program sees) and
    /// the `environment` entries. Call after every other thread's work is finished and
    /// the HTTP client is shut down: open sockets are close-on-exec, but work in flight
    /// would be lost.
    ///
    /// Before `execve`: standard output and error are flushed; the signal handling the
    /// render installed is removed; every signal's disposition is reset to the default
    /// and the signal mask emptied, because ignored signals and the mask survive
    /// `execve` (POSIX `execve`, "Signal Handling"), and libdispatch blocks the signals it
    /// watches; every descriptor above 2 that secretsmith opened is marked close-on-exec
    /// (the event loops' epoll and eventfd descriptors, and anything a library opened
    /// without `O_CLOEXEC`), so COMMAND inherits standard input, output and error and the
    /// descriptors secretsmith's own caller passed in (``InheritedDescriptors``, such as
    /// systemd's `LISTEN_FDS`), nothing of secretsmith's; and the core-dump limit
    /// secretsmith inherited is given back (``ProcessHardening/restoreForExec()``).
    ///
    /// - Returns: only when `execve` failed: the error to report (exit 126, or 127 when
    ///   the file vanished). As `execvp` does, a file the kernel cannot execute
    ///   (`ENOEXEC`, a script without `#!`) is run with `/bin/sh`.
    static func replace(path: String, arguments: [String], environment: [[UInt8]]) -> CommandLookupError {
        fflush(nil)  // every output stream
        TerminationCleanup.uninstall()
        for number in 1..<Int32(NSIG) where number != SIGKILL && number != SIGSTOP {
            signal(number, SIG_DFL)
        }
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
        markDescriptorsCloseOnExec()
        InheritedDescriptors.keepOpenAcrossExec()
        ProcessHardening.restoreForExec()

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map(cString) + [nil]
        execve(path, argv, envp)
        var code = errno
        if code == ENOEXEC {
            let shell = ["sh", path] + arguments.dropFirst()
            execve("/bin/sh", shell.map { strdup($0) } + [nil], envp)
            code = errno
        }
        let command = arguments.first ?? path
        return CommandLookupError(command: command, reason: code == ENOENT ? .notFound : .execFailed(errno: code))
    }

    /// Marks every descriptor from 3 up close-on-exec: `close_range(3, ~0, CLOSE_RANGE_CLOEXEC)`
    /// (Linux 5.11, glibc 2.34), else each descriptor listed in `/proc/self/fd`, else
    /// every number below the descriptor limit.
    static func markDescriptorsCloseOnExec() {
        typealias CloseRange = @convention(c) (UInt32, UInt32, Int32) -> Int32
        let closeRangeCloexec: Int32 = 1 << 2  // CLOSE_RANGE_CLOEXEC, linux/close_range.h
        if let symbol = dlsym(dlopen(nil, RTLD_NOW), "close_range"),
            unsafeBitCast(symbol, to: CloseRange.self)(3, UInt32.max, closeRangeCloexec) == 0
        {
            return
        }
        func mark(_ descriptor: Int32) {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC == 0 {
                _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC)
            }
        }
        if let directory = opendir("/proc/self/fd") {
            let own = dirfd(directory)
            var descriptors: [Int32] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if let descriptor = Int32(name), descriptor > 2, descriptor != own { descriptors.append(descriptor) }
            }
            closedir(directory)
            descriptors.forEach(mark)
            return
        }
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65_536)
        for descriptor in 3..<max(3, limit) { mark(descriptor) }
    }

    /// A NUL-terminated copy of `bytes` (which hold no NUL: values were checked).
    private static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        buffer[bytes.count] = 0
        return buffer
    }
}
