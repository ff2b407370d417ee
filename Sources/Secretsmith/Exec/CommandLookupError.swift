#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The command given to `secretsmith exec` cannot be run.
package struct CommandLookupError: Error, Hashable, CustomStringConvertible {
    package enum Reason: Sendable, Hashable {
        /// No such file, nor any in `PATH` (exit 127, as shells report it).
        case notFound
        /// Found, but not an executable regular file (exit 126).
        case notExecutable
        /// `execve` itself failed with this `errno` (exit 126).
        case execFailed(errno: Int32)
    }

    package var command: String
    package var reason: Reason

    package init(command: String, reason: Reason) {
        self.command = command
        self.reason = reason
    }

    /// 127 for a command that was not found, 126 for one that could not be executed,
    /// the codes POSIX shells and `docker run` use.
    package var exitCode: Int32 {
        reason == .notFound ? 127 : 126
    }

    package var description: String {
        switch reason {
        case .notFound:
            return command.contains("/")
                ? "exec: \(command): no such file"
                : "exec: \(command): command not found in PATH"
        case .notExecutable:
            return "exec: \(command): permission denied (not an executable file)"
        case .execFailed(let code):
            return "exec: \(command): \(String(cString: strerror(code)))"
        }
    }
}
