#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The command given to `secretsmith exec` (or `watch`) cannot be run.
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
    /// The secretsmith command that could not run it, the prefix of ``description``
    /// (`exec`, `watch`).
    package var subcommand = "exec"

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
                ? "\(subcommand): \(command): no such file"
                : "\(subcommand): \(command): command not found in PATH"
        case .notExecutable:
            return "\(subcommand): \(command): permission denied (not an executable file)"
        case .execFailed(let code):
            return "\(subcommand): \(command): \(String(cString: strerror(code)))"
        }
    }
}
