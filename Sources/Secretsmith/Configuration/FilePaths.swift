#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Path helpers for the configuration's paths and for everything a run reads or writes.
///
/// Policy, in two steps:
/// 1. Lexical: a relative path is joined to its base directory, then `.` segments and
///    repeated slashes are removed and each `..` removes the segment before it (as Go's
///    `filepath.Clean` does), without asking the file system. `out/nonexist/../q.env` is
///    `out/q.env`, whether or not `out/nonexist` exists or is a symbolic link.
/// 2. Physical (``resolved(_:followFinalLink:)``): the deepest existing ancestor is
///    replaced by its real path (`realpath(3)`, so links in parent directories are
///    followed, bounded by the kernel's own limit), the missing rest is kept as written, and
///    the final component's own links are followed at most ``maximumLinks`` times.
///
/// Every loop here shortens its path or counts its links: none can run forever.
package enum FilePaths {
    /// The most symbolic links followed for one final component before giving up
    /// (Linux's `MAXSYMLINKS`, the usual `SYMLOOP_MAX`).
    package static let maximumLinks = 40

    /// `path` if absolute, else `directory/path`, lexically normalised: `.` segments and
    /// repeated slashes removed, each `..` removing the segment before it (`..` at the root
    /// stays at the root). The result is absolute, without a trailing slash.
    package static func absolute(_ path: String, relativeTo directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var segments: [Substring] = []
        for segment in joined.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                _ = segments.popLast()
            } else {
                segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }

    /// `path` made absolute against the current working directory and normalised as
    /// ``absolute(_:relativeTo:)`` does.
    package static func absolute(_ path: String) -> String {
        absolute(path, relativeTo: path.hasPrefix("/") ? "/" : currentDirectory())
    }

    /// The absolute directory holding `file` (relative names resolve against the current
    /// working directory).
    package static func directory(of file: String) -> String {
        parent(of: absolute(file))
    }

    /// The parent of a normalised absolute path (`/` for `/` and for `/a`).
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// The process's current working directory, or `/` if it cannot be read.
    package static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether a path holds a NUL byte, which the C library would silently cut it at.
    package static func containsNUL(_ path: String) -> Bool {
        path.utf8.contains(0)
    }

    /// Where a path lands on this file system: the lexically normalised path with the real
    /// path of its deepest existing ancestor, and, with `followFinalLink`, its final
    /// component's symbolic links followed (a dangling link gives its target's path).
    /// Two paths naming the same file give the same string. Changes nothing on disk.
    ///
    /// - Parameters:
    ///   - path: Absolute, or relative to the working directory.
    ///   - followFinalLink: Follow the last component when it is a symbolic link.
    /// - Throws: ``PathResolutionError`` when the final component has more than
    ///   ``maximumLinks`` links in a row (a loop).
    package static func resolved(_ path: String, followFinalLink: Bool) throws(PathResolutionError) -> String {
        var current = absolute(path)
        for _ in 0...maximumLinks {
            let directory = realAncestorPath(parent(of: current))
            let name = current == "/" ? "" : String(current[current.index(after: current.lastIndex(of: "/")!)...])
            let candidate = name.isEmpty ? directory : (directory == "/" ? "/" + name : directory + "/" + name)
            guard followFinalLink, !name.isEmpty else { return candidate }
            var info = stat()
            guard lstat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return candidate }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(candidate, &buffer, buffer.count - 1)
            guard count >= 0 else { return candidate }
            let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = absolute(target, relativeTo: directory)
        }
        throw PathResolutionError(path: path)
    }

    /// The real path of the deepest existing ancestor of `directory` (itself included),
    /// joined with the components below it that do not exist. Terminates: each step drops a
    /// component of a normalised path.
    private static func realAncestorPath(_ directory: String) -> String {
        var head = directory
        var tail: [String] = []
        while true {
            if let real = realPath(head) {
                let base = real == "/" ? "" : real
                return tail.isEmpty ? (real) : base + "/" + tail.reversed().joined(separator: "/")
            }
            if head == "/" { return "/" + tail.reversed().joined(separator: "/") }
            let slash = head.lastIndex(of: "/")!
            tail.append(String(head[head.index(after: slash)...]))
            head = parent(of: head)
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// A path's final component leads through more than ``FilePaths/maximumLinks`` symbolic
/// links (a loop).
package struct PathResolutionError: Error, Sendable, Hashable {
    /// The path as given.
    package var path: String
}
