#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The descriptors above 2 that the caller passed to secretsmith (systemd's socket
/// activation `LISTEN_FDS`, a shell's `7>file`), recorded at start so `exec` can pass them
/// on to COMMAND while every descriptor secretsmith opened itself is closed on exec.
///
/// Each is recorded with its device and inode, so a descriptor number that secretsmith
/// closed and reused for a file of its own is not mistaken for the inherited one.
enum InheritedDescriptors {
    struct Descriptor: Equatable {
        var number: Int32
        var device: UInt64
        var inode: UInt64
    }

    /// The descriptors open at ``record()``; empty before it.
    nonisolated(unsafe) private(set) static var recorded: [Descriptor] = []

    /// Records the descriptors above 2 open now; call first thing in `main`, before
    /// anything opens a file.
    static func record() {
        recorded = openDescriptorNumbers().compactMap(identity)
    }

    /// Clears close-on-exec on each recorded descriptor that is still the same file, so
    /// `execve` passes it on; call after marking every descriptor close-on-exec.
    static func keepOpenAcrossExec() {
        for descriptor in recorded where identity(descriptor.number) == descriptor {
            let flags = fcntl(descriptor.number, F_GETFD)
            if flags >= 0 && flags & FD_CLOEXEC != 0 {
                _ = fcntl(descriptor.number, F_SETFD, flags & ~FD_CLOEXEC)
            }
        }
    }

    /// The descriptor's number, device and inode; `nil` when it is not open.
    private static func identity(_ number: Int32) -> Descriptor? {
        var status = stat()
        guard fstat(number, &status) == 0 else { return nil }
        return Descriptor(number: number, device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// The numbers above 2 open now: from `/proc/self/fd`, else every number below the
    /// descriptor limit (at most 65,536) that `fcntl(F_GETFD)` accepts.
    private static func openDescriptorNumbers() -> [Int32] {
        if let directory = opendir("/proc/self/fd") {
            let own = dirfd(directory)
            var numbers: [Int32] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if let number = Int32(name), number > 2, number != own { numbers.append(number) }
            }
            closedir(directory)
            return numbers.sorted()
        }
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65_536)
        return (3..<max(3, limit)).filter { fcntl($0, F_GETFD) >= 0 }
    }
}
