#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Secretsmith

/// The emulator's `--port-file`: the bound port, written once listening.
///
/// Refused before the emulator starts when the path is a symbolic link or the `--seed`
/// file itself (the port would overwrite the seed). Written atomically: a new temporary
/// file beside it (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0644), then `rename(2)`, so a
/// reader never sees a partial number and no link is followed.
enum PortFile {
    /// Checks `path` before the emulator starts.
    ///
    /// - Throws: ``UsageError`` (exit 64) naming `--port-file` when `path` is a symbolic
    ///   link or the same file as `seed`.
    static func check(_ path: String, seed: String?) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // not there yet: created at start
        if status.st_mode & S_IFMT == S_IFLNK {
            throw UsageError("--port-file \(path): the path is a symbolic link; name the file itself")
        }
        var seedStatus = stat()
        if let seed, stat(seed, &seedStatus) == 0, seedStatus.st_dev == status.st_dev, seedStatus.st_ino == status.st_ino {
            throw UsageError("--port-file \(path): it is the --seed file, which the port would overwrite; choose another file")
        }
    }

    /// Writes `port` and a newline to `path` atomically.
    ///
    /// - Returns: `nil` on success, else the failure in words (the `errno` text).
    static func write(port: Int, to path: String) -> String? {
        let temporary = "\(path).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        let bytes = Array("\(port)\n".utf8)
        let written = bytes.withUnsafeBytes { writeAll(descriptor, $0) }
        let failure = written == bytes.count ? nil : String(cString: strerror(written < 0 ? errno : EIO))
        close(descriptor)
        if let failure {
            unlink(temporary)
            return failure
        }
        guard rename(temporary, path) == 0 else {
            let failure = String(cString: strerror(errno))
            unlink(temporary)
            return failure
        }
        return nil
    }
}

/// `write(2)` of a few bytes (a port number) in one call.
private func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    write(descriptor, bytes.baseAddress, bytes.count)
}
