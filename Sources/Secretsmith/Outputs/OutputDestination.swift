#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one output goes, resolved before anything is written: symbolic links checked (or
/// followed), the parent directory found (or noted as missing), and whether the existing
/// file already has the content, mode and owner.
struct OutputDestination {
    /// The requested path.
    let requestedPath: String
    /// The path to rename onto: the requested path, or the final target of its links.
    let path: String
    /// The directory of ``path``.
    let directory: String
    /// The last component of ``path``.
    let name: String
    /// The missing ancestors of ``directory``, outermost first (empty when it exists).
    let missingDirectories: [String]
    /// True when the file exists with exactly the new bytes, mode, owner and group.
    let isUnchanged: Bool

    /// The most symbolic links followed before giving up (Linux's `MAXSYMLINKS`).
    static let maximumLinks = FilePaths.maximumLinks

    /// Resolves a destination without changing anything on disk.
    ///
    /// - Parameters:
    ///   - path: The output path (absolute, or relative to the working directory).
    ///   - content: The new content, compared with an existing file.
    ///   - options: Mode, link policy and directory policy.
    ///   - owner: The resolved user id, if one is requested.
    ///   - group: The resolved group id, if one is requested.
    /// - Throws: ``OutputWriteError``: `.symbolicLinkRefused`, `.notRegularFile`,
    ///   `.missingDirectory` (when `createDirectories` is false), or `.system` for a failed
    ///   `lstat`, `readlink` or `stat`, or too many links (`ELOOP`).
    static func resolve(
        _ path: String, content: OutputContent, options: WriteOptions, owner: uid_t?, group: gid_t?
    ) throws(OutputWriteError) -> OutputDestination {
        guard !FilePaths.containsNUL(path) else {
            throw .system(path, "checking the path (it contains a NUL byte)", errno: EINVAL)
        }
        // Lexically first (`out/missing/../a.env` is `out/a.env`), so no walk up the
        // directories below depends on what exists.
        let target = try followLinks(FilePaths.absolute(path), follow: options.followSymlinks)
        let (directory, name) = FileSystemCalls.split(target.path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw OutputWriteError(path: path, reason: .notRegularFile)
        }
        if let existing = target.status, !FileSystemCalls.isType(existing.st_mode, S_IFREG) {
            throw OutputWriteError(path: target.path, reason: .notRegularFile)
        }
        let missing = try missingAncestors(of: directory, for: target.path)
        if !missing.isEmpty, !options.createDirectories {
            throw OutputWriteError(path: target.path, reason: .missingDirectory(directory))
        }
        var unchanged = false
        if let existing = target.status {
            unchanged = matches(existing, path: target.path, content: content, mode: options.mode, owner: owner, group: group)
        }
        return OutputDestination(
            requestedPath: path, path: target.path, directory: directory, name: name,
            missingDirectories: missing, isUnchanged: unchanged
        )
    }

    /// Follows the final component's symbolic links (when allowed).
    ///
    /// - Returns: The final path and its `lstat` status, or nil status if it does not exist.
    private static func followLinks(_ path: String, follow: Bool) throws(OutputWriteError) -> (path: String, status: stat?) {
        var current = path
        for _ in 0...maximumLinks {
            let info: stat
            switch FileSystemCalls.status(current, followingLinks: false) {
            case .success(let value): info = value
            case .failure(let error) where error.code == ENOENT: return (current, nil)
            case .failure(let error): throw .system(current, "checking the path (lstat)", errno: error.code)
            }
            guard FileSystemCalls.isType(info.st_mode, S_IFLNK) else { return (current, info) }
            guard follow else { throw OutputWriteError(path: path, reason: .symbolicLinkRefused) }
            switch FileSystemCalls.readLink(current) {
            case .success(let link):
                // A relative target is relative to the link's real directory.
                let directory = FileSystemCalls.split(current).directory
                let base = (try? FilePaths.resolved(directory, followFinalLink: true)) ?? directory
                current = FilePaths.absolute(link, relativeTo: base)
            case .failure(let error):
                throw .system(current, "reading the symbolic link (readlink)", errno: error.code)
            }
        }
        throw .system(path, "following symbolic links", errno: ELOOP)
    }

    /// The ancestors of `directory` that do not exist, outermost first.
    static func missingAncestors(of directory: String, for path: String) throws(OutputWriteError) -> [String] {
        var missing: [String] = []
        var current = directory
        while true {
            switch FileSystemCalls.status(current, followingLinks: true) {
            case .success(let info):
                guard FileSystemCalls.isType(info.st_mode, S_IFDIR) else {
                    throw .system(path, "using \"\(current)\" as a directory", errno: ENOTDIR)
                }
                return missing.reversed()
            case .failure(let error) where error.code == ENOENT:
                // A dangling link cannot be created as a directory (mkdir says "File exists").
                if case .success = FileSystemCalls.status(current, followingLinks: false) {
                    throw .system(path, "using '\(current)' as a directory (it is a dangling symbolic link)", errno: ENOENT)
                }
                missing.append(current)
                let parent = FileSystemCalls.split(current).directory
                if parent == current { return missing.reversed() }
                current = parent
            case .failure(let error):
                throw .system(path, "checking the directory \"\(current)\" (stat)", errno: error.code)
            }
        }
    }

    /// Whether an existing regular file already has these bytes, mode, owner and group.
    /// A file that cannot be read counts as different (it is then replaced).
    static func matches(
        _ info: stat, path: String, content: OutputContent, mode: UInt32, owner: uid_t?, group: gid_t?
    ) -> Bool {
        guard UInt32(info.st_mode) & 0o7777 == mode, Int(info.st_size) == content.count else { return false }
        if let owner, info.st_uid != owner { return false }
        if let group, info.st_gid != group { return false }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return FileSystemCalls.contentEquals(descriptor, content)
    }
}
