#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes output files atomically and all or nothing, in two phases.
///
/// 1. ``stage(_:to:options:)`` each output: resolve the destination (refuse or follow a
///    symbolic link, create missing parent directories with mode `0700`), skip a file that
///    already has the bytes, mode and owner, otherwise create a temporary file
///    `.<name>.secretsmith-<random>.tmp` in the destination's directory with
///    `O_CREAT|O_EXCL|O_WRONLY|O_CLOEXEC|O_NOFOLLOW` and the final mode, `fchown` it when
///    an owner or group is set, `fchmod` it to the exact mode (so the umask does not
///    matter), write every byte, `fsync` and close it.
/// 2. ``commit(_:)`` renames every temporary file over its destination and fsyncs each
///    directory, or ``discard(_:)`` removes them all.
///
/// ``write(_:)`` does both: it stages every output first and, if any staging fails,
/// discards what was staged, so no existing file changes and no temporary file remains.
/// A rename failing in the middle of a commit (which needs the directory to change under
/// the writer) cannot undo the renames before it; the error names the file that failed.
///
/// Directories created for an output get the output's owner and group too, so a process
/// running as that user can reach the file. Only the final path component is checked for
/// a symbolic link; directories above it may be links (`/var/run` → `/run`).
///
/// Staged temporary files are registered in a ``StagedFileRegistry``;
/// ``removeStagedTemporaryFiles()`` removes them when the CLI is stopped by a signal.
package struct AtomicFileWriter: Sendable {
    /// Where staged temporary files are registered.
    package let registry: StagedFileRegistry

    /// - Parameter registry: The registry of staged files; ``StagedFileRegistry/shared``
    ///   unless a test isolates its own.
    package init(registry: StagedFileRegistry = .shared) {
        self.registry = registry
    }

    /// Removes every temporary file staged through the shared registry and refuses to
    /// stage more; for the CLI's `SIGINT`/`SIGTERM` handling. Call it from an ordinary
    /// thread (a `DispatchSourceSignal` handler), not from a raw signal handler; see
    /// ``StagedFileRegistry`` for why and how.
    ///
    /// - Returns: How many files were removed.
    @discardableResult
    package static func removeStagedTemporaryFiles() -> Int {
        StagedFileRegistry.shared.removeAll(closing: true)
    }

    /// Stages every output, then commits them all; if any staging fails, discards the
    /// outputs staged before it and rethrows, leaving every destination as it was.
    ///
    /// - Parameter outputs: Destination paths, contents and options, in order.
    /// - Returns: One result per output, in order.
    /// - Throws: The first ``OutputWriteError`` from staging or committing.
    package func write(_ outputs: [(path: String, bytes: [UInt8], options: WriteOptions)]) throws(OutputWriteError) -> [OutputWriteResult] {
        var staged: [StagedOutput] = []
        do throws(OutputWriteError) {
            for output in outputs {
                staged.append(try stage(output.bytes, to: output.path, options: output.options))
            }
        } catch {
            discard(staged)
            throw error
        }
        return try commit(staged)
    }

    /// Tells what ``write(_:)`` would do for one output, without touching the disk: the
    /// path (a link's target when following), mode, size, and `.written` or `.unchanged`.
    /// For `--dry-run`.
    ///
    /// - Throws: ``OutputWriteError`` for the problems staging would find before writing:
    ///   mode, owner, symbolic link, not a regular file, missing directory.
    package func preview(_ bytes: [UInt8], to path: String, options: WriteOptions) throws(OutputWriteError) -> OutputWriteResult {
        let ids = try checkOptions(path: path, options: options)
        let destination = try OutputDestination.resolve(path, bytes: bytes, options: options, owner: ids.owner, group: ids.group)
        return OutputWriteResult(
            path: destination.path, mode: options.mode, byteCount: bytes.count,
            status: destination.isUnchanged ? .unchanged : .written
        )
    }

    /// Prepares one output: resolves its destination and, unless it is unchanged, writes
    /// the bytes to a complete, fsynced temporary file beside it.
    ///
    /// - Parameters:
    ///   - bytes: The file's content.
    ///   - path: The destination path.
    ///   - options: Mode, owner, group, link and directory policy.
    /// - Returns: The staged output, to pass to ``commit(_:)`` or ``discard(_:)``.
    /// - Throws: ``OutputWriteError``; on failure nothing of this output is left behind
    ///   except directories it created.
    package func stage(_ bytes: [UInt8], to path: String, options: WriteOptions) throws(OutputWriteError) -> StagedOutput {
        let ids = try checkOptions(path: path, options: options)
        let destination = try OutputDestination.resolve(path, bytes: bytes, options: options, owner: ids.owner, group: ids.group)
        if destination.isUnchanged {
            return StagedOutput(
                requestedPath: path, destination: destination.path, temporaryPath: nil,
                mode: options.mode, byteCount: bytes.count
            )
        }
        try createDirectories(destination.missingDirectories, for: destination.path, owner: ids.owner, group: ids.group)
        let temporary = try writeTemporaryFile(bytes, beside: destination, options: options, owner: ids.owner, group: ids.group)
        return StagedOutput(
            requestedPath: path, destination: destination.path, temporaryPath: temporary,
            mode: options.mode, byteCount: bytes.count
        )
    }

    /// Renames every staged temporary file over its destination, in order, then fsyncs
    /// each directory once.
    ///
    /// - Parameter staged: Outputs from ``stage(_:to:options:)``.
    /// - Returns: One result per output, in order.
    /// - Throws: ``OutputWriteError`` for a failed `rename` (the remaining temporary files
    ///   are removed; earlier renames stay) or a failed directory `fsync`.
    package func commit(_ staged: [StagedOutput]) throws(OutputWriteError) -> [OutputWriteResult] {
        var directories: [String] = []
        for (index, output) in staged.enumerated() {
            guard let temporary = output.temporaryPath else { continue }
            let code = registry.rename(temporary, to: output.destination)
            if code != 0 {
                discard(Array(staged[index...]))
                throw .system(output.destination, "renaming the temporary file into place", errno: code)
            }
            let directory = FileSystemCalls.split(output.destination).directory
            if !directories.contains(directory) { directories.append(directory) }
        }
        for directory in directories {
            let code = FileSystemCalls.syncDirectory(directory)
            if code != 0 { throw .system(directory, "flushing the directory (fsync)", errno: code) }
        }
        return staged.map(\.result)
    }

    /// Removes the temporary files of staged outputs; destinations are not touched.
    ///
    /// - Parameter staged: Outputs from ``stage(_:to:options:)``.
    package func discard(_ staged: [StagedOutput]) {
        for output in staged {
            if let temporary = output.temporaryPath { registry.remove(temporary) }
        }
    }

    /// Checks the mode and resolves owner and group names to ids.
    private func checkOptions(path: String, options: WriteOptions) throws(OutputWriteError) -> (owner: uid_t?, group: gid_t?) {
        guard options.mode & ~0o777 == 0 else {
            throw OutputWriteError(path: path, reason: .invalidMode(options.mode))
        }
        guard options.allowWorldReadable || options.mode & 0o007 == 0 else {
            throw OutputWriteError(path: path, reason: .worldAccessibleMode(options.mode))
        }
        var owner: uid_t?
        var group: gid_t?
        if let name = options.owner {
            guard let id = FileSystemCalls.userID(name) else { throw OutputWriteError(path: path, reason: .unknownUser(name)) }
            owner = id
        }
        if let name = options.group {
            guard let id = FileSystemCalls.groupID(name) else { throw OutputWriteError(path: path, reason: .unknownGroup(name)) }
            group = id
        }
        return (owner, group)
    }

    /// Creates missing directories (outermost first) with mode 0700 exactly, the output's
    /// owner and group, and fsyncs each one's parent.
    private func createDirectories(_ directories: [String], for path: String, owner: uid_t?, group: gid_t?) throws(OutputWriteError) {
        for directory in directories {
            if mkdir(directory, 0o700) != 0 {
                let code = errno
                if code == EEXIST, case .success(let info) = FileSystemCalls.status(directory, followingLinks: true),
                   FileSystemCalls.isType(info.st_mode, S_IFDIR) {
                    continue
                }
                throw .system(path, "creating the directory '\(directory)'", errno: code)
            }
            if chmod(directory, 0o700) != 0 {
                throw .system(path, "setting the mode of the directory '\(directory)'", errno: errno)
            }
            if owner != nil || group != nil, chown(directory, owner ?? uid_t.max, group ?? gid_t.max) != 0 {
                throw .system(path, "setting the owner of the directory '\(directory)'", errno: errno)
            }
            let code = FileSystemCalls.syncDirectory(FileSystemCalls.split(directory).directory)
            if code != 0 { throw .system(path, "flushing the directory above '\(directory)' (fsync)", errno: code) }
        }
    }

    /// Creates, fills and fsyncs the temporary file for one destination.
    ///
    /// - Returns: The temporary file's path, registered in ``registry``.
    private func writeTemporaryFile(
        _ bytes: [UInt8], beside destination: OutputDestination, options: WriteOptions, owner: uid_t?, group: gid_t?
    ) throws(OutputWriteError) -> String {
        let flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            temporary = FileSystemCalls.join(destination.directory, ".\(destination.name).secretsmith-\(Self.randomSuffix()).tmp")
            guard let created = registry.create(temporary, { open(temporary, flags, mode_t(options.mode)) }) else {
                throw OutputWriteError(path: destination.path, reason: .shuttingDown)
            }
            descriptor = created.descriptor
            if descriptor >= 0 { break }
            if created.errno != EEXIST && created.errno != EINTR {
                throw .system(destination.path, "creating a temporary file in '\(destination.directory)'", errno: created.errno)
            }
        }
        guard descriptor >= 0 else {
            throw .system(destination.path, "creating a temporary file in '\(destination.directory)'", errno: EEXIST)
        }
        func fail(_ operation: String, _ code: Int32) -> OutputWriteError {
            close(descriptor)
            registry.remove(temporary)
            return .system(destination.path, operation, errno: code)
        }
        if owner != nil || group != nil, fchown(descriptor, owner ?? uid_t.max, group ?? gid_t.max) != 0 {
            throw fail("setting the owner of the temporary file (fchown)", errno)
        }
        if fchmod(descriptor, mode_t(options.mode)) != 0 {
            throw fail("setting the mode of the temporary file (fchmod)", errno)
        }
        let code = FileSystemCalls.writeAll(descriptor, bytes)
        if code != 0 { throw fail("writing the temporary file", code) }
        if fsync(descriptor) != 0 { throw fail("flushing the temporary file (fsync)", errno) }
        if close(descriptor) != 0 {
            let code = errno
            registry.remove(temporary)
            throw .system(destination.path, "closing the temporary file", errno: code)
        }
        return temporary
    }

    /// 16 random lowercase hexadecimal digits (64 bits from the system generator).
    private static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
