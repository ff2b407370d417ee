import Foundation
import Secretsmith

/// Paths as a user reads them in the terminal: `.` and `..` folded lexically, and relative
/// to the working directory when below it. For display only; files are written through the
/// configured path.
enum DisplayPath {
    static func relative(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        let normalized = "/" + segments.joined(separator: "/")
        let directory = FileManager.default.currentDirectoryPath
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return normalized.hasPrefix(prefix) ? String(normalized.dropFirst(prefix.count)) : normalized
    }

    /// The problem with its file shown relative to the working directory.
    static func shown(_ problem: CheckProblem) -> CheckProblem {
        var shown = problem
        if let file = problem.file, file.hasPrefix("/") { shown.file = relative(file) }
        return shown
    }
}
