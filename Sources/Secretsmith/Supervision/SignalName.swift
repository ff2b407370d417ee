#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Signal names as users write them in configuration and as logs show them.
///
/// Numbers come from the C library of the platform (Linux numbering on Linux: `SIGUSR1`
/// is 10 there, 30 on macOS), so a name always means what `kill -s NAME` means on the
/// machine.
package enum SignalName {
    /// The signals known by name, without the `SIG` prefix, in number order; the first
    /// name of a number is its canonical one (`IOT` and `POLL` are aliases).
    package static let table: [(name: String, number: Int32)] = {
        var table: [(String, Int32)] = [
            ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
            ("ABRT", SIGABRT), ("IOT", SIGABRT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL),
            ("USR1", SIGUSR1), ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM),
            ("TERM", SIGTERM), ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP), ("TSTP", SIGTSTP),
            ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU), ("XFSZ", SIGXFSZ),
            ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO), ("SYS", SIGSYS),
        ]
        #if os(Linux)
        table += [("STKFLT", SIGSTKFLT), ("POLL", SIGPOLL), ("PWR", SIGPWR)]
        #endif
        return table.sorted { $0.1 < $1.1 }
    }()

    /// The signal a text names: `SIGHUP`, `HUP` or `hup` (any case, surrounding spaces
    /// ignored), or a number from 1 to 64 (`"1"`).
    ///
    /// - Returns: the signal number; `nil` for anything else (`"SIG"`, `"0"`, `"HANGUP"`).
    package static func parse(_ text: String) -> Int32? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        if let number = Int32(trimmed) {
            return (1...maximumSignal).contains(number) ? number : nil
        }
        let name = trimmed.hasPrefix("SIG") ? String(trimmed.dropFirst(3)) : trimmed
        return table.first { $0.name == name }?.number
    }

    /// The canonical name of a signal (`"SIGHUP"`); for a number without a name (a
    /// real-time signal), the number itself (`"34"`), which ``parse(_:)`` reads back.
    package static func name(of signal: Int32) -> String {
        table.first { $0.number == signal }.map { "SIG\($0.name)" } ?? String(signal)
    }

    /// The highest signal number (64 on Linux, 31 on macOS).
    private static var maximumSignal: Int32 {
        #if os(Linux)
        return 64
        #else
        return 31
        #endif
    }
}
