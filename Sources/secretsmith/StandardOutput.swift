#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Secretsmith

/// Writes to standard output (descriptor 1) with `write(2)`, the way Unix tools do.
///
/// - Every byte is written: a partial write continues with the rest, `EINTR` retries.
/// - A closed reader (`EPIPE`, `… | head`) ends the process as `SIGPIPE` would: the
///   default action is restored, the signal unblocked and raised, so a shell reports
///   status 141. This happens after the command's cleanup (see ``reportingErrors(_:)``).
/// - Any other error (`ENOSPC` for `> /dev/full`, `EBADF` for a closed descriptor) is a
///   ``StandardOutputError``: one line on standard error, exit 73.
enum StandardOutput {
    /// Writes `bytes`, all of them.
    ///
    /// - Throws: ``StandardOutputError`` with the `errno` of the failed write.
    static func write(_ bytes: some Sequence<UInt8>) throws(StandardOutputError) {
        let buffer = Array(bytes)
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                posixWrite(1, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw StandardOutputError(errno: errno)
            }
            offset += written
        }
    }

    /// Writes `text` as UTF-8.
    static func write(_ text: String) throws(StandardOutputError) {
        try write(text.utf8)
    }

    /// Ends the process the way `SIGPIPE`'s default action does (status 128 + 13).
    static func dieOfBrokenPipe() -> Never {
        signal(SIGPIPE, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(SIGPIPE)
        _exit(128 + SIGPIPE)
    }
}

/// Standard output could not be written (exit 73, an output could not be written).
struct StandardOutputError: SecretsmithError {
    /// The `errno` of the failed `write(2)`.
    var errno: Int32

    /// Whether the reader went away (`EPIPE`): the process then ends as `SIGPIPE` would.
    var isBrokenPipe: Bool { errno == EPIPE }

    var kind: FailureKind { .cannotCreate }

    var description: String {
        "cannot write to standard output: \(String(cString: strerror(errno)))"
    }
}

/// `write(2)`, named apart from `StandardOutput.write`.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
