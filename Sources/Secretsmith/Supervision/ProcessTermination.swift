/// How a process ended, as `waitpid(2)` reports it.
package enum ProcessTermination: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status (0–255).
    case exited(Int32)
    /// A signal ended it (`SIGKILL` is 9 on Linux).
    case signaled(Int32)

    /// The status a shell (and `secretsmith watch`) reports for it: the exit status, or
    /// 128 + the signal number (143 for `SIGTERM`, 137 for `SIGKILL`).
    package var exitCode: Int32 {
        switch self {
        case .exited(let status): status
        case .signaled(let signal): 128 + signal
        }
    }

    /// For logs: `exit status 3`, `signal SIGTERM`.
    package var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "signal \(SignalName.name(of: signal))"
        }
    }

    /// Decodes a wait status (the `WIFEXITED`/`WEXITSTATUS`/`WTERMSIG` macros, which Swift
    /// does not import): the low 7 bits are the terminating signal, 0 when the process
    /// exited, and then bits 8–15 are its exit status.
    package init(waitStatus status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(signal)
        }
    }
}
