#if canImport(Glibc)
import Glibc
#endif
import Secretsmith
import Testing

@Suite("Signal names and process terminations")
struct SignalNameTests {
    @Test("names are read with or without SIG, in any case, and as numbers", arguments: [
        ("SIGHUP", SIGHUP), ("HUP", SIGHUP), ("hup", SIGHUP), (" SigTerm ", SIGTERM), ("SIGUSR1", SIGUSR1),
        ("usr2", SIGUSR2), ("WINCH", SIGWINCH), ("1", Int32(1)), ("15", Int32(15)), ("64", Int32(64)),
        ("SIGIOT", SIGABRT), ("KILL", SIGKILL),
    ])
    func parse(text: String, expected: Int32) {
        #expect(SignalName.parse(text) == expected)
    }

    @Test("anything else is rejected", arguments: ["", "SIG", "0", "-1", "65", "HANGUP", "SIGSIGHUP", "1.5", "SIG HUP"])
    func rejects(text: String) {
        #expect(SignalName.parse(text) == nil)
    }

    @Test("every named signal round-trips through its canonical name")
    func roundTrip() {
        for entry in SignalName.table {
            let name = SignalName.name(of: entry.number)
            #expect(name.hasPrefix("SIG"))
            #expect(SignalName.parse(name) == entry.number)
        }
        #expect(SignalName.name(of: SIGHUP) == "SIGHUP")
        #expect(SignalName.name(of: SIGABRT) == "SIGABRT")
        #expect(SignalName.name(of: 34) == "34")
        #expect(SignalName.parse(SignalName.name(of: 34)) == 34)
    }

    @Test("exit code: the status, or 128 + the signal")
    func exitCode() {
        #expect(ProcessTermination.exited(0).exitCode == 0)
        #expect(ProcessTermination.exited(42).exitCode == 42)
        #expect(ProcessTermination.signaled(SIGTERM).exitCode == 143)
        #expect(ProcessTermination.signaled(SIGKILL).exitCode == 137)
        #expect(ProcessTermination.signaled(SIGTERM).description == "signal SIGTERM")
        #expect(ProcessTermination.exited(3).description == "exit status 3")
    }

    @Test("wait statuses decode as the W* macros do")
    func waitStatus() {
        #expect(ProcessTermination(waitStatus: 0x0300) == .exited(3))
        #expect(ProcessTermination(waitStatus: 0xff00) == .exited(255))
        #expect(ProcessTermination(waitStatus: 0x000f) == .signaled(15))
        #expect(ProcessTermination(waitStatus: 0x008b) == .signaled(11))  // SIGSEGV with a core dump
    }
}
