#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The small POSIX helpers the writer needs: whole reads and writes that retry on `EINTR`
/// and short counts, `fsync` of a directory, path splitting and user/group lookup.
package enum FileSystemCalls {
    /// Splits a path into its directory and last component: `"/a/b"` → `("/a", "b")`,
    /// `"b"` → `(".", "b")`, `"/b"` → `("/", "b")`. The name is empty for `"/a/"`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Joins a directory and a relative path.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// `lstat` or `stat` of a path.
    ///
    /// - Returns: The status, or the `errno` of the failure.
    static func status(_ path: String, followingLinks: Bool) -> Result<stat, Errno> {
        var info = stat()
        let rc = followingLinks ? stat(path, &info) : lstat(path, &info)
        return rc == 0 ? .success(info) : .failure(Errno(errno))
    }

    /// Whether a `st_mode` is of the given type (`S_IFREG`, `S_IFDIR`, `S_IFLNK`).
    static func isType(_ mode: mode_t, _ type: mode_t) -> Bool {
        mode & S_IFMT == type
    }

    /// Reads a symbolic link's target.
    ///
    /// - Returns: The target text, or the `errno` of the failure.
    static func readLink(_ path: String) -> Result<String, Errno> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return .failure(Errno(errno)) }
        let bytes = buffer[..<count].map { UInt8(bitPattern: $0) }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// Writes all bytes to a descriptor, retrying short writes and `EINTR`.
    ///
    /// - Returns: 0, or the `errno` of the failed `write`.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { writeAll(descriptor, $0) }
    }

    /// Why writing an ``OutputContent`` failed.
    enum ContentWriteFailure: Error, Hashable {
        /// A `write` or `writev` failed with this `errno`.
        case system(Int32)
        /// The content is a template kept in its file, and the file (at this path) no
        /// longer holds the bytes parsed: what was written mixes versions.
        case templateChanged(String)
    }

    /// Writes every piece of `content` to a descriptor, in order: a single buffer at once;
    /// a rendered template's pieces gathered by `writev`, up to 1,024 pieces (`IOV_MAX`)
    /// per call, straight from the template (or the chunk of it just read from its file)
    /// and the values, with no copy into a buffer first.
    ///
    /// - Returns: nil, or why the write failed; after ``ContentWriteFailure/templateChanged(_:)``
    ///   the descriptor's file holds bytes that must be discarded.
    static func writeAll(_ descriptor: Int32, _ content: OutputContent) -> ContentWriteFailure? {
        let capacity = 1024
        var vectors = [iovec](repeating: iovec(), count: capacity)
        var failure: Int32 = 0
        var writeBehind = WriteBehind(descriptor: descriptor)
        let walk = vectors.withUnsafeMutableBufferPointer { vectors in
            var filled = 0
            var bytes = 0
            func flush() -> Int32 {
                defer { filled = 0; bytes = 0 }
                guard filled > 0 else { return 0 }
                let code = writeAll(descriptor, vectors: UnsafeMutableBufferPointer(rebasing: vectors[..<filled]), bytes: bytes)
                if code == 0 { writeBehind.wrote(bytes) }
                return code
            }
            let walk = content.forEachPieceAddress({ start, count in
                vectors[filled] = iovec(iov_base: UnsafeMutableRawPointer(mutating: start), iov_len: count)
                filled += 1
                bytes += count
                if filled == capacity { failure = flush() }
                return failure == 0
            }, beforeReuse: {
                // The pieces point into a chunk of the template about to be read over.
                failure = flush()
                return failure == 0
            })
            if failure == 0 { failure = flush() }
            return walk
        }
        if failure != 0 { return .system(failure) }
        if walk == .templateChanged { return .templateChanged(content.templateFilePath ?? "") }
        return nil
    }

    /// Starts the write-back of a large file while it is still being written, so the
    /// `fsync` after the last byte waits for little more than the last few megabytes
    /// instead of all of them (the disk works while the rest is produced).
    ///
    /// Every 8 MiB written, `posix_fadvise(POSIX_FADV_DONTNEED)` over them: on Linux that
    /// starts writing the range's dirty pages back without waiting (and drops only pages
    /// already clean). Advice only; elsewhere, or when it fails, nothing changes but the
    /// timing, and the `fsync` still makes the file durable.
    struct WriteBehind {
        static let step = 8 << 20
        let descriptor: Int32
        /// Bytes written so far, and up to where write-back was started.
        private var written = 0
        private var started = 0

        init(descriptor: Int32) {
            self.descriptor = descriptor
        }

        mutating func wrote(_ count: Int) {
            written += count
            guard written - started >= Self.step else { return }
            #if os(Linux)
            _ = posix_fadvise(descriptor, off_t(started), off_t(written - started), POSIX_FADV_DONTNEED)
            #endif
            started = written
        }
    }

    /// Writes the `bytes` bytes `vectors` describe with `writev`, retrying short writes
    /// and `EINTR` (the vectors are advanced past what was written).
    ///
    /// - Returns: 0, or the `errno` of the failed `writev`.
    private static func writeAll(_ descriptor: Int32, vectors: UnsafeMutableBufferPointer<iovec>, bytes: Int) -> Int32 {
        var first = 0
        var remaining = bytes
        while remaining > 0 {
            let written = writev(descriptor, vectors.baseAddress! + first, Int32(vectors.count - first))
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            remaining -= written
            var skipped = written
            while first < vectors.count && skipped >= vectors[first].iov_len {
                skipped -= vectors[first].iov_len
                first += 1
            }
            if skipped > 0 {
                vectors[first].iov_base = vectors[first].iov_base.map { $0 + skipped }
                vectors[first].iov_len -= skipped
            }
        }
        return 0
    }

    /// Writes all of `buffer` to a descriptor, retrying short writes and `EINTR`.
    ///
    /// - Returns: 0, or the `errno` of the failed `write`.
    static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }

    /// Reads a whole file from a descriptor, up to `limit` bytes plus one (so a caller can
    /// tell that the file is longer), retrying `EINTR`.
    ///
    /// The bytes are read straight into one array of `sizeHint + 1` bytes (a regular file's
    /// `st_size`: no growth, no copy, so a 50 MB template costs 50 MB, not twice that); only
    /// a file longer than its hint (it grew meanwhile, or has no size) is read on in chunks.
    ///
    /// - Parameters:
    ///   - descriptor: An open descriptor, read from its current offset to the end.
    ///   - limit: The most bytes wanted; at most one chunk (64 KiB) more is read.
    ///   - sizeHint: The expected size in bytes (0 when unknown).
    /// - Returns: The bytes, or nil if a read failed (`errno` tells why).
    static func readAll(_ descriptor: Int32, limit: Int, sizeHint: Int = 0) -> [UInt8]? {
        let capacity = min(max(sizeHint, 0), limit) + 1
        var failed = false
        var content = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            initialized = 0
            adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            while initialized < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + initialized, buffer.count - initialized)
                if count < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                if count == 0 { return }
                initialized += count
            }
        }
        if failed { return nil }
        // The end came before the buffer was full: the whole file is read.
        guard content.count == capacity else { return content }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while content.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            content.append(contentsOf: chunk[..<count])
        }
        return content
    }

    /// Asks the kernel to back the 2 MiB-aligned middle of a large buffer (8 MiB or more)
    /// with transparent huge pages before it is filled: reading a 50 MB template then takes
    /// some 25 page faults instead of 12,500. Advice only (`madvise(MADV_HUGEPAGE)`): where
    /// transparent huge pages are off, or not on Linux, nothing changes.
    static func adviseHugePages(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard buffer.count >= 8 << 20, let base = buffer.baseAddress else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, MADV_HUGEPAGE)
        #endif
    }

    /// Whether the rest of a descriptor's file holds exactly `bytes`: read and compared in
    /// 64 KiB chunks, so comparing a large output costs no second copy of it.
    ///
    /// - Returns: false when the content differs, is shorter or longer, or a read fails.
    static func contentEquals(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var offset = 0
        return bytes.withUnsafeBytes { expected -> Bool in
            chunk.withUnsafeMutableBytes { buffer -> Bool in
                while true {
                    // At the end of `bytes`, one more read must find the end of the file.
                    let wanted = max(min(buffer.count, expected.count - offset), 1)
                    let count = read(descriptor, buffer.baseAddress!, wanted)
                    if count < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    if count == 0 { return offset == expected.count }
                    guard offset + count <= expected.count,
                          memcmp(buffer.baseAddress!, expected.baseAddress! + offset, count) == 0
                    else { return false }
                    offset += count
                }
            }
        }
    }

    /// Whether the rest of a descriptor's file holds exactly `content`, compared piece by
    /// piece with 64 KiB reads of the file: neither the file nor the content is joined.
    ///
    /// - Returns: false when the content differs, is shorter or longer, or a read fails
    ///   (of the descriptor, or of a template kept in its file that changed).
    static func contentEquals(_ descriptor: Int32, _ content: OutputContent) -> Bool {
        let capacity = 64 * 1024
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { chunk.deallocate() }
        var start = 0  // the first byte of `chunk` not compared yet
        var end = 0  // the end of what was read into `chunk`
        /// Reads the next chunk: the bytes read, 0 at the end of the file, -1 when the read failed.
        func refill() -> Int {
            while true {
                let count = read(descriptor, chunk.baseAddress!, capacity)
                if count < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
                (start, end) = (0, count)
                return count
            }
        }
        let walk = content.forEachPieceAddress { piece, count in
            var position = 0
            while position < count {
                if start == end, refill() <= 0 { return false }
                let length = min(count - position, end - start)
                guard memcmp(chunk.baseAddress! + start, piece + position, length) == 0 else { return false }
                position += length
                start += length
            }
            return true
        }
        // Every byte matched: nothing may follow in the file.
        return walk == .complete && start == end && refill() == 0
    }

    /// Why ``readRegularFile(_:limit:)`` refused or failed.
    package enum ReadFailure: Error, Hashable {
        /// Nothing exists at the path.
        case missing
        /// The path is a directory.
        case directory
        /// The path is a device, FIFO or socket.
        case notRegularFile
        /// The file is larger than the limit (its size in bytes, when known).
        case tooLarge(Int?)
        /// A system call failed with this `errno`.
        case system(Int32)

        /// The reason as a clause: "it is a directory, not a regular file".
        package func reason(limit: Int) -> String {
            switch self {
            case .missing: "it does not exist"
            case .directory: "it is a directory, not a regular file"
            case .notRegularFile: "it is not a regular file (a device, FIFO or socket)"
            case .tooLarge(let size?): "it is \(size) bytes, more than the limit of \(limit) bytes"
            case .tooLarge(nil): "it is more than the limit of \(limit) bytes"
            case .system(let code): "it cannot be read (\(String(cString: strerror(code))))"
            }
        }
    }

    /// Reads a whole regular file of at most `limit` bytes. Opens it with `O_NONBLOCK`, so
    /// a FIFO or a device cannot hang the caller, then checks the type and size on the
    /// opened descriptor (`fstat`: nothing can be swapped in between) before reading, and
    /// refuses a file that grows past `limit` while being read.
    ///
    /// - Returns: The bytes, or why they could not be read.
    package static func readRegularFile(_ path: String, limit: Int) -> Result<[UInt8], ReadFailure> {
        let descriptor: Int32
        let info: stat
        switch openRegularFile(path, limit: limit) {
        case .success(let opened): (descriptor, info) = opened
        case .failure(let failure): return .failure(failure)
        }
        defer { close(descriptor) }
        guard let bytes = readAll(descriptor, limit: limit, sizeHint: Int(info.st_size)) else { return .failure(.system(errno)) }
        guard bytes.count <= limit else { return .failure(.tooLarge(nil)) }
        return .success(bytes)
    }

    /// Opens a regular file of at most `limit` bytes for reading, as
    /// ``readRegularFile(_:limit:)`` does before it reads: `O_NONBLOCK` (a FIFO or a device
    /// cannot hang the caller), then the type and size checked on the opened descriptor.
    ///
    /// - Returns: The descriptor (`O_CLOEXEC`, the caller closes it) and its status, or why
    ///   the file cannot be read.
    static func openRegularFile(_ path: String, limit: Int) -> Result<(descriptor: Int32, info: stat), ReadFailure> {
        guard !path.utf8.contains(0) else { return .failure(.system(EINVAL)) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return .failure(errno == ENOENT ? .missing : .system(errno)) }
        var info = stat()
        let failure: ReadFailure?
        if fstat(descriptor, &info) != 0 {
            failure = .system(errno)
        } else {
            switch info.st_mode & S_IFMT {
            case S_IFREG: failure = Int(info.st_size) <= limit ? nil : .tooLarge(Int(info.st_size))
            case S_IFDIR: failure = .directory
            default: failure = .notRegularFile
            }
        }
        if let failure {
            close(descriptor)
            return .failure(failure)
        }
        return .success((descriptor, info))
    }

    /// The names in a directory (without `.` and `..`), or nil if it cannot be read.
    static func directoryEntries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a directory and the files directly in it (not recursive: the writer's
    /// directories hold files only).
    ///
    /// - Returns: Whether the directory is gone.
    @discardableResult
    static func removeFlatDirectory(_ path: String) -> Bool {
        for entry in directoryEntries(path) ?? [] { _ = unlink(join(path, entry)) }
        return rmdir(path) == 0
    }

    /// Flushes a directory's entries to disk (after a rename or mkdir in it).
    ///
    /// - Returns: 0, or the `errno` of the failed `open` or `fsync`.
    static func syncDirectory(_ path: String) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        return fsync(descriptor) == 0 ? 0 : errno
    }

    /// A user id from a numeric string or a user name (`getpwnam_r`).
    static func userID(_ owner: String) -> uid_t? {
        if let numeric = UInt32(owner) { return uid_t(numeric) }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwnam_r(owner, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.pw_uid
    }

    /// A group id from a numeric string or a group name (`getgrnam_r`).
    static func groupID(_ group: String) -> gid_t? {
        if let numeric = UInt32(group) { return gid_t(numeric) }
        var entry = GroupEntry()
        var result: UnsafeMutablePointer<GroupEntry>?
        var buffer = [CChar](repeating: 0, count: 64 * 1024)
        guard getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    /// An `errno` value carried through `Result`.
    struct Errno: Error, Hashable {
        let code: Int32
        init(_ code: Int32) { self.code = code }
    }
}

/// The C `struct group`, named so it does not clash with `group` parameters.
private typealias GroupEntry = group
