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
/// ``removeStagedTemporaryFiles()`` removes them when the CLI is stopped by a signal. The
/// renames of one commit happen while the registry's lock is held, so such a cleanup
/// waits for all of them: a signal during the rename phase leaves every destination new.
///
/// A run killed outright (`SIGKILL`, a power cut) leaves its temporary files behind.
/// Before staging, a destination's stale temporary files (this writer's own name pattern
/// for that destination, in its directory, last modified before ``staleBefore``) are
/// removed and counted in ``StagedOutput/staleTemporaryFilesRemoved``.
///
/// Directories created while staging are removed again (when empty) if the write is
/// discarded.
package struct AtomicFileWriter: Sendable {
    /// Where staged temporary files are registered.
    package let registry: StagedFileRegistry

    /// Temporary files of a destination last modified before this instant are stale (left
    /// by a run that was killed) and removed before staging; nil removes none.
    package let staleBefore: timespec?

    /// - Parameters:
    ///   - registry: The registry of staged files; ``StagedFileRegistry/shared`` unless a
    ///     test isolates its own.
    ///   - staleBefore: See ``staleBefore``; default the start of this process (a run never
    ///     removes a temporary file created after it started, such as another run's).
    package init(registry: StagedFileRegistry = .shared, staleBefore: timespec? = ProcessStart.time) {
        self.registry = registry
        self.staleBefore = staleBefore
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
        try writeCounting(outputs).results
    }

    /// ``write(_:)``, also telling how many stale temporary files of these destinations
    /// (left by killed runs) were removed before staging.
    package func writeCounting(
        _ outputs: [(path: String, bytes: [UInt8], options: WriteOptions)]
    ) throws(OutputWriteError) -> (results: [OutputWriteResult], staleTemporaryFilesRemoved: Int) {
        try writeCounting(outputs.map { (path: $0.path, content: OutputContent($0.bytes), options: $0.options) })
    }

    /// `writeCounting` for contents that may be a rendered
    /// template's pieces: each is streamed into its temporary file and compared with an
    /// existing file piece by piece, never joined.
    package func writeCounting(
        _ outputs: [(path: String, content: OutputContent, options: WriteOptions)]
    ) throws(OutputWriteError) -> (results: [OutputWriteResult], staleTemporaryFilesRemoved: Int) {
        // Outputs with `atomicDirectory` are grouped by directory and switched per group.
        var groups: [(directory: String, members: [(index: Int, member: DataDirectory.Member)])] = []
        for (index, output) in outputs.enumerated() where output.options.atomicDirectory {
            let ids = try checkOptions(path: output.path, options: output.options)
            guard !FilePaths.containsNUL(output.path) else {
                throw .system(output.path, "checking the path (it contains a NUL byte)", errno: EINVAL)
            }
            let path = FilePaths.absolute(output.path)
            let (written, name) = FileSystemCalls.split(path)
            guard !name.isEmpty, !name.hasPrefix("..") else { throw OutputWriteError(path: path, reason: .notRegularFile) }
            // One group per real directory, however its path is spelled.
            let directory = (try? FilePaths.resolved(written, followFinalLink: true)) ?? written
            let member = DataDirectory.Member(
                path: path, name: name, content: output.content, options: output.options, owner: ids.owner, group: ids.group)
            if let position = groups.firstIndex(where: { $0.directory == directory }) {
                groups[position].members.append((index, member))
            } else {
                groups.append((directory, [(index, member)]))
            }
        }
        var staged: [(index: Int, output: StagedOutput)] = []
        var stagedGroups: [DataDirectory.Staged] = []
        do throws(OutputWriteError) {
            for (index, output) in outputs.enumerated() where !output.options.atomicDirectory {
                staged.append((index, try stage(output.content, to: output.path, options: output.options)))
            }
            for group in groups {
                stagedGroups.append(try DataDirectory.stage(group.members, in: group.directory, writer: self))
            }
        } catch {
            discard(staged.map(\.output), groups: stagedGroups)
            throw error
        }
        let stale = staged.reduce(0) { $0 + $1.output.staleTemporaryFilesRemoved } + stagedGroups.reduce(0) { $0 + $1.staleRemoved }
        let plain = try commit(staged.map(\.output), groups: stagedGroups)
        var results = [OutputWriteResult?](repeating: nil, count: outputs.count)
        for (position, result) in plain.enumerated() { results[staged[position].index] = result }
        for group in stagedGroups {
            for member in group.members {
                results[member.index] = OutputWriteResult(
                    path: member.path, mode: member.mode, byteCount: member.byteCount,
                    status: member.changed ? .written : .unchanged)
            }
        }
        return (results.map { $0! }, stale)
    }

    /// Tells what ``write(_:)`` would do for one output, without touching the disk: the
    /// path (a link's target when following), mode, size, and `.written` or `.unchanged`.
    /// For `--dry-run`.
    ///
    /// - Throws: ``OutputWriteError`` for the problems staging would find before writing:
    ///   mode, owner, symbolic link, not a regular file, missing directory.
    package func preview(_ bytes: [UInt8], to path: String, options: WriteOptions) throws(OutputWriteError) -> OutputWriteResult {
        try preview(OutputContent(bytes), to: path, options: options)
    }

    /// `preview` for a content that may be in pieces.
    package func preview(_ content: OutputContent, to path: String, options: WriteOptions) throws(OutputWriteError) -> OutputWriteResult {
        let ids = try checkOptions(path: path, options: options)
        if options.atomicDirectory {
            // Compared with the file behind `..data`, which readers see.
            let absolute = FilePaths.absolute(path)
            let (directory, name) = FileSystemCalls.split(absolute)
            let current = FileSystemCalls.join(FileSystemCalls.join(directory, DataDirectory.linkName), name)
            var unchanged = false
            if case .success(let info) = FileSystemCalls.status(current, followingLinks: false),
                FileSystemCalls.isType(info.st_mode, S_IFREG)
            {
                unchanged = OutputDestination.matches(
                    info, path: current, content: content, mode: options.mode, owner: ids.owner, group: ids.group)
            }
            return OutputWriteResult(
                path: absolute, mode: options.mode, byteCount: content.count, status: unchanged ? .unchanged : .written)
        }
        let destination = try OutputDestination.resolve(
            path, content: content, options: options, owner: ids.owner, group: ids.group)
        return OutputWriteResult(
            path: destination.path, mode: options.mode, byteCount: content.count,
            status: destination.isUnchanged ? .unchanged : .written
        )
    }

    /// Checks, without writing, what staging would refuse for one destination: the mode,
    /// that `owner` and `group` resolve, the type of an existing destination (a regular
    /// file, or a link only with `followSymlinks`), that the parent resolves to a directory
    /// or can be created (a dangling link, a file or a link loop on the way fails), and that
    /// the deepest existing directory accepts a new entry: unless the destination (or an
    /// atomic group's `..data`) already exists, a probe directory
    /// (`.secretsmith-probe-XXXXXX`) is created there and removed at once, so `/proc/x.env`
    /// fails here. For `atomicDirectory` outputs only the directory is checked (the path
    /// itself becomes a link through `..data`).
    ///
    /// - Throws: ``OutputWriteError`` as ``stage(_:to:options:)`` would, before any write.
    package func checkDestination(_ path: String, options: WriteOptions) throws(OutputWriteError) {
        let ids = try checkOptions(path: path, options: options)
        let directory: String
        let missing: [String]
        // Where something of ours already exists the directory is known to take files: no
        // probe, so a render that changes nothing leaves the directory's mtime alone.
        let existingEntry: String
        if options.atomicDirectory {
            guard !FilePaths.containsNUL(path) else {
                throw .system(path, "checking the path (it contains a NUL byte)", errno: EINVAL)
            }
            directory = FileSystemCalls.split(FilePaths.absolute(path)).directory
            missing = try OutputDestination.missingAncestors(of: directory, for: path)
            existingEntry = FileSystemCalls.join(directory, DataDirectory.linkName)
        } else {
            let destination = try OutputDestination.resolve(
                path, content: OutputContent([]), options: options, owner: ids.owner, group: ids.group)
            directory = destination.directory
            missing = destination.missingDirectories
            existingEntry = destination.path
        }
        if !missing.isEmpty, !options.createDirectories {
            throw OutputWriteError(path: path, reason: .missingDirectory(directory))
        }
        if missing.isEmpty, case .success = FileSystemCalls.status(existingEntry, followingLinks: false) { return }
        let existing = missing.first.map { FileSystemCalls.split($0).directory } ?? directory
        var template = Array(FileSystemCalls.join(existing, ".secretsmith-probe-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else {
            throw .system(path, "creating an entry in the directory '\(existing)'", errno: errno)
        }
        rmdir(template)
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
        try stage(OutputContent(bytes), to: path, options: options)
    }

    /// `stage` for a content that may be in pieces: they are
    /// written to the temporary file in order (after its mode is set, before its fsync).
    package func stage(_ content: OutputContent, to path: String, options: WriteOptions) throws(OutputWriteError) -> StagedOutput {
        let ids = try checkOptions(path: path, options: options)
        let destination = try OutputDestination.resolve(
            path, content: content, options: options, owner: ids.owner, group: ids.group)
        var removed = 0
        if let staleBefore, destination.missingDirectories.isEmpty {
            removed = removeStaleTemporaryFiles(of: destination, olderThan: staleBefore)
        }
        if destination.isUnchanged {
            var staged = StagedOutput(
                requestedPath: path, destination: destination.path, temporaryPath: nil,
                mode: options.mode, byteCount: content.count
            )
            staged.staleTemporaryFilesRemoved = removed
            return staged
        }
        var created: [String] = []
        let temporary: String
        do throws(OutputWriteError) {
            try createDirectories(
                destination.missingDirectories, for: destination.path, owner: ids.owner, group: ids.group,
                created: &created)
            temporary = try writeTemporaryFile(content, beside: destination, options: options, owner: ids.owner, group: ids.group)
        } catch {
            Self.removeDirectories(created)
            throw error
        }
        var staged = StagedOutput(
            requestedPath: path, destination: destination.path, temporaryPath: temporary,
            mode: options.mode, byteCount: content.count
        )
        staged.createdDirectories = created
        staged.staleTemporaryFilesRemoved = removed
        return staged
    }

    /// The name of a temporary file for the destination `name`.
    static func temporaryName(for name: String, suffix: String) -> String {
        ".\(name).secretsmith-\(suffix).tmp"
    }

    /// Whether `entry` is a temporary file name of this writer for the destination `name`:
    /// `.<name>.secretsmith-` followed by 16 lowercase hexadecimal digits and `.tmp`.
    static func isTemporaryName(_ entry: String, for name: String) -> Bool {
        let prefix = ".\(name).secretsmith-"
        guard entry.hasPrefix(prefix), entry.hasSuffix(".tmp") else { return false }
        let middle = entry.utf8.dropFirst(prefix.utf8.count).dropLast(4)
        return middle.count == 16 && middle.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Removes the destination's temporary files that are not staged by this process and
    /// were last modified before `instant`.
    ///
    /// - Returns: How many were removed.
    private func removeStaleTemporaryFiles(of destination: OutputDestination, olderThan instant: timespec) -> Int {
        guard let entries = FileSystemCalls.directoryEntries(destination.directory) else { return 0 }
        let staged = Set(registry.paths)
        var removed = 0
        for entry in entries where Self.isTemporaryName(entry, for: destination.name) {
            let path = FileSystemCalls.join(destination.directory, entry)
            guard !staged.contains(path), case .success(let info) = FileSystemCalls.status(path, followingLinks: false),
                FileSystemCalls.isType(info.st_mode, S_IFREG), info.st_uid == geteuid()
            else { continue }
            guard Self.isBefore(info.st_mtim, instant) else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    /// Whether `time` is strictly before `instant`.
    static func isBefore(_ time: timespec, _ instant: timespec) -> Bool {
        time.tv_sec < instant.tv_sec || (time.tv_sec == instant.tv_sec && time.tv_nsec < instant.tv_nsec)
    }

    /// Removes directories (innermost first) that are empty; others are kept.
    static func removeDirectories(_ directories: [String]) {
        for directory in directories.reversed() { _ = rmdir(directory) }
    }

    /// Renames every staged temporary file over its destination, in order, then fsyncs
    /// each directory once.
    ///
    /// - Parameter staged: Outputs from ``stage(_:to:options:)``.
    /// - Returns: One result per output, in order.
    /// - Throws: ``OutputWriteError`` for a failed `rename` (the remaining temporary files
    ///   are removed; earlier renames stay) or a failed directory `fsync`.
    package func commit(_ staged: [StagedOutput]) throws(OutputWriteError) -> [OutputWriteResult] {
        try commit(staged, groups: [])
    }

    /// ``commit(_:)``, with groups of ``DataDirectory`` outputs switched in the same
    /// locked rename phase.
    func commit(_ staged: [StagedOutput], groups: [DataDirectory.Staged]) throws(OutputWriteError) -> [OutputWriteResult] {
        var directories: [String] = []
        var steps: [StagedFileRegistry.CommitStep] = []
        var stepOutputs: [Int?] = []
        var stepGroups: [Int?] = []
        for (index, output) in staged.enumerated() {
            guard let temporary = output.temporaryPath else { continue }
            steps.append(.rename(from: temporary, to: output.destination))
            stepOutputs.append(index)
            stepGroups.append(nil)
            let directory = FileSystemCalls.split(output.destination).directory
            if !directories.contains(directory) { directories.append(directory) }
        }
        for (position, group) in groups.enumerated() {
            let groupSteps = DataDirectory.commitSteps(group)
            steps += groupSteps
            stepOutputs += groupSteps.map { _ in nil }
            stepGroups += groupSteps.map { _ in position }
        }
        // Every rename under one hold of the registry's lock: a termination cleanup waits
        // for the last one, so a signal cannot leave some destinations new and some old.
        if let failure = registry.commitAll(steps) {
            if let index = stepOutputs[failure.index] {
                discard(Array(staged[index...]), groups: groups)
                throw .system(staged[index].destination, "renaming the temporary file into place", errno: failure.errno)
            }
            discard([], groups: groups)
            let directory = stepGroups[failure.index].map { groups[$0].directory } ?? ""
            throw .system(directory, "switching the \(DataDirectory.linkName) link", errno: failure.errno)
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
        discard(staged, groups: [])
    }

    func discard(_ staged: [StagedOutput], groups: [DataDirectory.Staged]) {
        for output in staged {
            if let temporary = output.temporaryPath { registry.remove(temporary) }
        }
        for group in groups {
            if let directory = group.newDirectory { registry.remove(directory) }
        }
        Self.removeDirectories(staged.flatMap(\.createdDirectories) + groups.flatMap(\.createdDirectories))
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
    func createDirectories(
        _ directories: [String], for path: String, owner: uid_t?, group: gid_t?, created: inout [String]
    ) throws(OutputWriteError) {
        for directory in directories {
            if mkdir(directory, 0o700) != 0 {
                let code = errno
                if code == EEXIST, case .success(let info) = FileSystemCalls.status(directory, followingLinks: true),
                   FileSystemCalls.isType(info.st_mode, S_IFDIR) {
                    continue
                }
                throw .system(path, "creating the directory \"\(directory)\"", errno: code)
            }
            created.append(directory)
            if chmod(directory, 0o700) != 0 {
                throw .system(path, "setting the mode of the directory \"\(directory)\"", errno: errno)
            }
            if owner != nil || group != nil, chown(directory, owner ?? uid_t.max, group ?? gid_t.max) != 0 {
                throw .system(path, "setting the owner of the directory \"\(directory)\"", errno: errno)
            }
            let code = FileSystemCalls.syncDirectory(FileSystemCalls.split(directory).directory)
            if code != 0 { throw .system(path, "flushing the directory above \"\(directory)\" (fsync)", errno: code) }
        }
    }

    /// Creates, fills and fsyncs the temporary file for one destination.
    ///
    /// - Returns: The temporary file's path, registered in ``registry``.
    private func writeTemporaryFile(
        _ content: OutputContent, beside destination: OutputDestination, options: WriteOptions, owner: uid_t?, group: gid_t?
    ) throws(OutputWriteError) -> String {
        let flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            temporary = FileSystemCalls.join(
                destination.directory, Self.temporaryName(for: destination.name, suffix: Self.randomSuffix()))
            guard let created = registry.create(temporary, { open(temporary, flags, mode_t(options.mode)) }) else {
                throw OutputWriteError(path: destination.path, reason: .shuttingDown)
            }
            descriptor = created.descriptor
            if descriptor >= 0 { break }
            if created.errno != EEXIST && created.errno != EINTR {
                throw .system(destination.path, "creating a temporary file in \"\(destination.directory)\"", errno: created.errno)
            }
        }
        guard descriptor >= 0 else {
            throw .system(destination.path, "creating a temporary file in \"\(destination.directory)\"", errno: EEXIST)
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
        switch FileSystemCalls.writeAll(descriptor, content) {
        case nil: break
        case .system(let code): throw fail("writing the temporary file", code)
        case .templateChanged(let template):
            close(descriptor)
            registry.remove(temporary)
            throw OutputWriteError(path: destination.path, reason: .templateChanged(template))
        }
        if fsync(descriptor) != 0 { throw fail("flushing the temporary file (fsync)", errno) }
        if close(descriptor) != 0 {
            let code = errno
            registry.remove(temporary)
            throw .system(destination.path, "closing the temporary file", errno: code)
        }
        return temporary
    }

    /// 16 random lowercase hexadecimal digits (64 bits from the system generator).
    static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
