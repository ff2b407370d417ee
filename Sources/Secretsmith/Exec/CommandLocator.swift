#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the program `secretsmith exec` runs, the way `execvp(3)` and POSIX shells do:
/// a name containing `/` is used as it is; otherwise each directory of `PATH` is tried in
/// order (an empty entry means the current directory) and the first regular file that is
/// executable wins. A file found but not executable is remembered, so the error can say
/// "permission denied" (126) rather than "not found" (127), as shells report it.
///
/// The lookup runs before anything is fetched, so a mistyped command fails fast without
/// touching Secret Manager.
package enum CommandLocator {
    /// The search path when `PATH` is unset, glibc's default for `execvp`.
    package static let defaultSearchPath = "/bin:/usr/bin"

    /// Locates a command.
    ///
    /// - Parameters:
    ///   - command: the program name or path (`app`, `./run.sh`, `/usr/bin/env`).
    ///   - searchPath: `PATH` of the environment, or `nil` when unset.
    /// - Returns: the path to execute.
    /// - Throws: ``CommandLookupError``: `.notFound` (exit 127) or `.notExecutable` (126).
    package static func locate(_ command: String, searchPath: String?) throws(CommandLookupError) -> String {
        guard !command.isEmpty else { throw CommandLookupError(command: command, reason: .notFound) }
        if command.contains("/") {
            switch check(command) {
            case .executable: return command
            case .notExecutable: throw CommandLookupError(command: command, reason: .notExecutable)
            case .missing: throw CommandLookupError(command: command, reason: .notFound)
            }
        }
        var foundButNotExecutable = false
        for directory in (searchPath ?? defaultSearchPath).split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = directory.isEmpty ? command : "\(directory)/\(command)"
            switch check(candidate) {
            case .executable: return candidate
            case .notExecutable: foundButNotExecutable = true
            case .missing: continue
            }
        }
        throw CommandLookupError(command: command, reason: foundButNotExecutable ? .notExecutable : .notFound)
    }

    private enum Candidate { case executable, notExecutable, missing }

    private static func check(_ path: String) -> Candidate {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .notExecutable }
        return access(path, X_OK) == 0 ? .executable : .notExecutable
    }
}
