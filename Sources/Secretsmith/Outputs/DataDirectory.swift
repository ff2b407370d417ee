#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Outputs with `atomic_dir: true` that share a directory, switched as one unit the way
/// Kubernetes' `AtomicWriter` updates a ConfigMap volume:
///
/// ```
/// out/app/..data -> ..2026_01_31_23_59_59.123456789      (a symbolic link)
/// out/app/..2026_01_31_23_59_59.123456789/app.env        (the files, mode as configured)
/// out/app/..2026_01_31_23_59_59.123456789/tls.key
/// out/app/app.env -> ..data/app.env                      (what readers open)
/// out/app/tls.key -> ..data/tls.key
/// ```
///
/// Staging writes every file of the group into a new timestamped directory (fsynced);
/// the commit replaces `..data` with one `rename` of a temporary symbolic link
/// (`..data_tmp`), so a reader that opens `app.env` and then `tls.key` sees both from the
/// old directory or both from the new one, even across a crash; the old directory is
/// removed afterwards. A group whose every file already has its content, mode and owner
/// is left untouched. Files of the current directory that this write does not name
/// (outputs not selected with `--only`) are carried over as hard links.
struct DataDirectory {
    /// The name of the link readers go through.
    static let linkName = "..data"
    /// The temporary link renamed over ``linkName``.
    static let temporaryLinkName = "..data_tmp"

    /// One file of the group.
    struct Member {
        var path: String
        var name: String
        var content: OutputContent
        var options: WriteOptions
        var owner: uid_t?
        var group: gid_t?
    }

    /// A group staged by ``stage(_:in:writer:)``.
    struct Staged {
        var directory: String
        /// Members in the caller's order, with whether their content changes.
        var members: [(index: Int, path: String, mode: UInt32, byteCount: Int, changed: Bool)]
        /// The new timestamped directory (registered as staged); nil when unchanged.
        var newDirectory: String?
        /// The directory `..data` pointed to before, removed after the commit.
        var oldDirectory: String?
        /// Names whose path is not yet a link through `..data`.
        var linksToCreate: [String]
        var createdDirectories: [String]
        var staleRemoved: Int
    }

    /// Whether a name is a timestamped data directory: `..YYYY_MM_DD_HH_MM_SS.NNNNNNNNN`.
    static func isTimestampName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 31, bytes[0] == 0x2E, bytes[1] == 0x2E else { return false }
        for (offset, byte) in bytes.dropFirst(2).enumerated() {
            switch offset {
            case 4, 7, 10, 13, 16: if byte != 0x5F { return false }
            case 19: if byte != 0x2E { return false }
            default: if !(0x30...0x39).contains(byte) { return false }
            }
        }
        return true
    }

    /// A new timestamped name for now (UTC, nanoseconds).
    static func timestampName() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = time_t(now.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "..\(pad(Int(parts.tm_year) + 1900, 4))_\(pad(Int(parts.tm_mon) + 1, 2))_\(pad(Int(parts.tm_mday), 2))_"
            + "\(pad(Int(parts.tm_hour), 2))_\(pad(Int(parts.tm_min), 2))_\(pad(Int(parts.tm_sec), 2)).\(pad(Int(now.tv_nsec), 9))"
    }

    /// The directory `..data` points to, if it is a link to a timestamped directory here.
    ///
    /// - Throws: `.notRegularFile` on `..data` when it exists and is not such a link.
    static func current(in directory: String) throws(OutputWriteError) -> String? {
        let link = FileSystemCalls.join(directory, linkName)
        switch FileSystemCalls.readLink(link) {
        case .success(let target) where isTimestampName(target):
            return FileSystemCalls.join(directory, target)
        case .failure(let error) where error.code == ENOENT:
            return nil
        default:
            throw OutputWriteError(path: link, reason: .notRegularFile)
        }
    }

    /// Stages one group: checks every member's path, creates missing directories, removes
    /// stale timestamped directories of killed runs and, unless everything is unchanged,
    /// writes the new timestamped directory.
    ///
    /// - Throws: ``OutputWriteError``; nothing is left behind but directories it created
    ///   (removed by the caller's discard).
    static func stage(
        _ members: [(index: Int, member: Member)], in directory: String, writer: AtomicFileWriter
    ) throws(OutputWriteError) -> Staged {
        let first = members[0].member
        var staged = Staged(
            directory: directory, members: [], newDirectory: nil, oldDirectory: nil, linksToCreate: [],
            createdDirectories: [], staleRemoved: 0)
        let missing = try OutputDestination.missingAncestors(of: directory, for: first.path)
        if !missing.isEmpty {
            guard first.options.createDirectories else {
                throw OutputWriteError(path: first.path, reason: .missingDirectory(directory))
            }
            do throws(OutputWriteError) {
                try writer.createDirectories(
                    missing, for: first.path, owner: first.owner, group: first.group, created: &staged.createdDirectories)
            } catch {
                AtomicFileWriter.removeDirectories(staged.createdDirectories)
                throw error
            }
        }
        do throws(OutputWriteError) {
            try stageFiles(members, in: directory, writer: writer, into: &staged)
        } catch {
            AtomicFileWriter.removeDirectories(staged.createdDirectories)
            throw error
        }
        return staged
    }

    private static func stageFiles(
        _ members: [(index: Int, member: Member)], in directory: String, writer: AtomicFileWriter, into staged: inout Staged
    ) throws(OutputWriteError) {
        for (_, member) in members {
            let path = FileSystemCalls.join(directory, member.name)
            switch FileSystemCalls.status(path, followingLinks: false) {
            case .failure(let error) where error.code == ENOENT:
                staged.linksToCreate.append(member.name)
            case .failure(let error):
                throw .system(path, "checking the path (lstat)", errno: error.code)
            case .success(let info) where FileSystemCalls.isType(info.st_mode, S_IFLNK):
                guard case .success(let target) = FileSystemCalls.readLink(path), target == "\(linkName)/\(member.name)" else {
                    throw OutputWriteError(path: path, reason: .symbolicLinkRefused)
                }
            case .success(let info) where FileSystemCalls.isType(info.st_mode, S_IFREG):
                staged.linksToCreate.append(member.name)  // a plain file becomes a link
            case .success:
                throw OutputWriteError(path: path, reason: .notRegularFile)
            }
        }
        staged.oldDirectory = try current(in: directory)
        if let before = writer.staleBefore {
            staged.staleRemoved = removeStale(
                in: directory, names: members.map(\.member.name), keeping: staged.oldDirectory, olderThan: before,
                writer: writer)
        }
        for (index, member) in members {
            var changed = true
            if let old = staged.oldDirectory,
                case .success(let info) = FileSystemCalls.status(FileSystemCalls.join(old, member.name), followingLinks: false),
                FileSystemCalls.isType(info.st_mode, S_IFREG)
            {
                changed = !OutputDestination.matches(
                    info, path: FileSystemCalls.join(old, member.name), content: member.content, mode: member.options.mode,
                    owner: member.owner, group: member.group)
            }
            staged.members.append(
                (index, FileSystemCalls.join(directory, member.name), member.options.mode, member.content.count, changed))
        }
        if staged.linksToCreate.isEmpty, !staged.members.contains(where: \.changed) { return }
        staged.newDirectory = try writeNewDirectory(members.map(\.member), in: directory, old: staged.oldDirectory, writer: writer)
    }

    /// Creates and fills the new timestamped directory.
    private static func writeNewDirectory(
        _ members: [Member], in directory: String, old: String?, writer: AtomicFileWriter
    ) throws(OutputWriteError) -> String {
        let first = members[0]
        // Owner rwx; the group may enter when some file grants it access.
        let groupBits: UInt32 = members.contains { $0.options.mode & 0o070 != 0 } ? 0o050 : 0
        var path = ""
        var created = false
        for _ in 0..<8 {
            path = FileSystemCalls.join(directory, timestampName())
            guard let code = writer.registry.createDirectory(path, mode: mode_t(0o700 | groupBits)) else {
                throw OutputWriteError(path: first.path, reason: .shuttingDown)
            }
            if code == 0 {
                created = true
                break
            }
            if code != EEXIST { throw .system(first.path, "creating the directory \"\(path)\"", errno: code) }
        }
        guard created else { throw .system(first.path, "creating the directory \"\(path)\"", errno: EEXIST) }
        func fail(_ error: OutputWriteError) -> OutputWriteError {
            writer.registry.remove(path)
            return error
        }
        if chmod(path, mode_t(0o700 | groupBits)) != 0 {
            throw fail(.system(first.path, "setting the mode of the directory \"\(path)\"", errno: errno))
        }
        if first.owner != nil || first.group != nil, chown(path, first.owner ?? uid_t.max, first.group ?? gid_t.max) != 0 {
            throw fail(.system(first.path, "setting the owner of the directory \"\(path)\"", errno: errno))
        }
        for member in members {
            let file = FileSystemCalls.join(path, member.name)
            // Created under the registry's lock, so a signal's cleanup never races a new entry.
            guard let created = writer.registry.create(file, {
                open(file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode_t(member.options.mode))
            }) else {
                throw fail(OutputWriteError(path: member.path, reason: .shuttingDown))
            }
            let descriptor = created.descriptor
            guard descriptor >= 0 else { throw fail(.system(member.path, "creating \"\(file)\"", errno: created.errno)) }
            var failure: (String, Int32)?
            var changedTemplate: String?
            if member.owner != nil || member.group != nil,
                fchown(descriptor, member.owner ?? uid_t.max, member.group ?? gid_t.max) != 0
            {
                failure = ("setting the owner (fchown)", errno)
            } else if fchmod(descriptor, mode_t(member.options.mode)) != 0 {
                failure = ("setting the mode (fchmod)", errno)
            } else if let written = FileSystemCalls.writeAll(descriptor, member.content) {
                switch written {
                case .system(let code): failure = ("writing the file", code)
                case .templateChanged(let template): changedTemplate = template
                }
            } else if fsync(descriptor) != 0 {
                failure = ("flushing the file (fsync)", errno)
            }
            close(descriptor)
            if let changedTemplate { throw fail(OutputWriteError(path: member.path, reason: .templateChanged(changedTemplate))) }
            if let failure { throw fail(.system(member.path, failure.0, errno: failure.1)) }
        }
        // Files of the current directory not written now (outputs not selected) stay.
        if let old, let entries = FileSystemCalls.directoryEntries(old) {
            let names = Set(members.map(\.name))
            for entry in entries where !names.contains(entry) {
                guard let code = writer.registry.createLink(from: FileSystemCalls.join(old, entry), to: FileSystemCalls.join(path, entry)) else {
                    throw fail(OutputWriteError(path: first.path, reason: .shuttingDown))
                }
                if code != 0 {
                    throw fail(.system(first.path, "keeping \"\(entry)\" of the current directory (link)", errno: code))
                }
            }
        }
        let code = FileSystemCalls.syncDirectory(path)
        if code != 0 { throw fail(.system(first.path, "flushing the directory \"\(path)\" (fsync)", errno: code)) }
        return path
    }

    /// Removes timestamped directories, a `..data_tmp` link and temporary links of the
    /// members' names left by killed runs: not the current directory, not staged by this
    /// process, last modified before `instant`.
    ///
    /// - Returns: How many were removed.
    private static func removeStale(
        in directory: String, names: [String], keeping current: String?, olderThan instant: timespec,
        writer: AtomicFileWriter
    ) -> Int {
        guard let entries = FileSystemCalls.directoryEntries(directory) else { return 0 }
        let staged = Set(writer.registry.paths)
        var removed = 0
        for entry in entries
        where isTimestampName(entry) || entry == temporaryLinkName
            || names.contains(where: { AtomicFileWriter.isTemporaryName(entry, for: $0) })
        {
            let path = FileSystemCalls.join(directory, entry)
            guard path != current, !staged.contains(path),
                case .success(let info) = FileSystemCalls.status(path, followingLinks: false), info.st_uid == geteuid(),
                AtomicFileWriter.isBefore(info.st_mtim, instant)
            else { continue }
            if FileSystemCalls.isType(info.st_mode, S_IFDIR) {
                if FileSystemCalls.removeFlatDirectory(path) { removed += 1 }
            } else if unlink(path) == 0 {
                removed += 1
            }
        }
        return removed
    }

    /// The commit steps of a staged group: the `..data` switch, a link for every member
    /// whose path is not one yet, then the directory flushed and the previous timestamped
    /// directory removed. Empty when unchanged.
    static func commitSteps(_ staged: Staged) -> [StagedFileRegistry.CommitStep] {
        guard let new = staged.newDirectory else { return [] }
        var steps: [StagedFileRegistry.CommitStep] = [
            .link(
                target: FileSystemCalls.split(new).name,
                temporary: FileSystemCalls.join(staged.directory, temporaryLinkName),
                destination: FileSystemCalls.join(staged.directory, linkName), forget: new)
        ]
        for name in staged.linksToCreate {
            steps.append(
                .link(
                    target: "\(linkName)/\(name)",
                    temporary: FileSystemCalls.join(
                        staged.directory, AtomicFileWriter.temporaryName(for: name, suffix: AtomicFileWriter.randomSuffix())),
                    destination: FileSystemCalls.join(staged.directory, name), forget: nil))
        }
        // Flushed before the old directory goes, so `..data` never points to a removed one
        // after a crash; inside the locked phase, so a signal does not leave it behind.
        // Readers that opened a file in the old directory keep reading it.
        steps.append(.syncAndRemove(directory: staged.directory, removing: staged.oldDirectory))
        return steps
    }
}

extension DataDirectory.Member {
    /// A member whose content is one buffer.
    init(path: String, name: String, bytes: [UInt8], options: WriteOptions, owner: uid_t?, group: gid_t?) {
        self.init(path: path, name: name, content: OutputContent(bytes), options: options, owner: owner, group: group)
    }
}
