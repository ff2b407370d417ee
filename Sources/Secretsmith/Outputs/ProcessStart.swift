#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When this run started, on the wall clock (`CLOCK_REALTIME`), to tell temporary files
/// left by earlier, killed runs from files of runs that started later.
package enum ProcessStart {
    /// The moment this value is first read. The CLI reads it as a command starts, so it
    /// is the start of the run; a library user that writes outputs reads it on the first
    /// write (files of runs killed before that are stale).
    package static let time: timespec = {
        var value = timespec()
        clock_gettime(CLOCK_REALTIME, &value)
        return value
    }()
}
