#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Lexical path helpers for resolving the configuration's relative paths.
package enum FilePaths {
    /// `path` if absolute, else `directory/path`, with `.` segments and repeated slashes
    /// removed (`..` is kept: it is resolved by the file system, through symbolic links).
    package static func absolute(_ path: String, relativeTo directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var segments: [Substring] = []
        for segment in joined.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            segments.append(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    /// The absolute directory holding `file` (relative names resolve against the current
    /// working directory).
    package static func directory(of file: String) -> String {
        let absolutePath = absolute(file, relativeTo: currentDirectory())
        guard let slash = absolutePath.lastIndex(of: "/"), slash != absolutePath.startIndex else { return "/" }
        return String(absolutePath[..<slash])
    }

    /// The process's current working directory, or `/` if it cannot be read.
    package static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
