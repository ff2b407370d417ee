#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser

/// Keeps secret values out of core dumps and crash reports: the crash policy of every
/// secretsmith process (README "Crashes and core dumps").
///
/// At start, unless `SECRETSMITH_ALLOW_CORE_DUMPS=1`:
/// - the soft `RLIMIT_CORE` is set to 0 (the hard limit is kept, so `exec` can give
///   COMMAND the limit secretsmith inherited) and, on Linux, `prctl(PR_SET_DUMPABLE, 0)`
///   makes the process non-dumpable (no core even where `RLIMIT_CORE` is ignored, and no
///   `ptrace` or `/proc/PID/mem` reads by other processes of the same user);
/// - a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS), sent
///   by the kernel or by `kill`, terminates the process at once with that signal's status
///   (a shell shows 128 + N, e.g. 139 for SIGSEGV) after one fixed line on standard error.
///   No render completes after it and no backtrace is printed: Swift's backtracer
///   (`SWIFT_BACKTRACE`) would otherwise report the crash, and for a signal sent with
///   `kill` let the process carry on.
///
/// With `SECRETSMITH_ALLOW_CORE_DUMPS=1` nothing is changed, for debugging: the shell's
/// core limit and Swift's backtracer (configured with `SWIFT_BACKTRACE`) apply. (Chaining
/// to the backtracer and then terminating was tried: the backtracer's helper process is
/// left behind, holding the parent's descriptors.)
enum ProcessHardening {
    /// The environment variable that turns the hardening off.
    static let allowCoreDumpsVariable = "SECRETSMITH_ALLOW_CORE_DUMPS"

    /// The signals whose default action is a core dump, and that mean a crash.
    static let fatalSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS]

    /// The `RLIMIT_CORE` inherited at start, restored before `execve` (see
    /// ``restoreForExec()``); `nil` when the hardening is off.
    nonisolated(unsafe) private(set) static var inheritedCoreLimit: rlimit?

    /// Whether the hardening was applied.
    nonisolated(unsafe) private(set) static var hardened = false

    /// Applies the policy; call first thing in `main`, before any secret is read.
    static func apply() {
        if let value = getenv(allowCoreDumpsVariable), String(cString: value) == "1" { return }
        var limit = rlimit()
        if getrlimit(coreLimit, &limit) == 0 {
            inheritedCoreLimit = limit
            var disabled = limit
            disabled.rlim_cur = 0
            _ = setrlimit(coreLimit, &disabled)
        }
        _ = prctl?(setDumpable, 0, 0, 0, 0)
        for number in fatalSignals {
            var action = sigaction()
            #if os(Linux)
            action.__sigaction_handler.sa_sigaction = ProcessHardening.terminate
            #else
            action.__sigaction_u.__sa_sigaction = ProcessHardening.terminate
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_SIGINFO) | Int32(truncatingIfNeeded: SA_ONSTACK)
            _ = sigaction(number, &action, nil)
        }
        hardened = true
    }

    /// Gives COMMAND of `exec` the core limit secretsmith inherited (its own policy is its
    /// own; `execve` makes it dumpable again).
    static func restoreForExec() {
        guard var limit = inheritedCoreLimit else { return }
        _ = setrlimit(coreLimit, &limit)
    }

    #if os(Linux)
    static let coreLimit = __rlimit_resource_t(RLIMIT_CORE.rawValue)
    #else
    static let coreLimit = RLIMIT_CORE
    #endif

    /// `prctl(2)` options (linux/prctl.h).
    static let getDumpable: Int32 = 3
    static let setDumpable: Int32 = 4

    /// `prctl(2)`, looked up at run time: C variadic functions are not imported into Swift.
    /// `nil` where there is none (not Linux).
    static let prctl: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32)? = {
        #if os(Linux)
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "prctl") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// The fatal-signal handler of the hardened process: async-signal-safe calls only
    /// (`write`, `sigaction`, `raise`). The disposition is set back to the default and the
    /// signal stays blocked while the handler runs, so `raise` takes effect on return: a
    /// fault re-executes and kills, a signal from `kill` is delivered again and kills.
    private static let terminate: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = {
        number, _, _ in
        let message: StaticString =
            "secretsmith: fatal signal; exiting without a backtrace or core dump (set SECRETSMITH_ALLOW_CORE_DUMPS=1 to keep them)\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
        ProcessHardening.terminateWithDefaultAction(number)
    }

    /// Sets `number`'s disposition to the default and raises it (delivered when the
    /// handler returns).
    private static func terminateWithDefaultAction(_ number: Int32) {
        var action = sigaction()
        #if os(Linux)
        action.__sigaction_handler.sa_handler = SIG_DFL
        #else
        action.__sigaction_u.__sa_handler = SIG_DFL
        #endif
        sigemptyset(&action.sa_mask)
        _ = sigaction(number, &action, nil)
        _ = raise(number)
    }
}

/// `secretsmith diagnose-process` (hidden): prints the crash policy in force in this
/// process, for tests and support (`core_limit`, `dumpable`, `fatal_signals`).
struct DiagnoseProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose-process",
        abstract: "Print the core-dump and crash policy in force (for tests and support).",
        shouldDisplay: false)

    func run() {
        var limit = rlimit()
        _ = getrlimit(ProcessHardening.coreLimit, &limit)
        let core = limit.rlim_cur == rlim_t.max ? "unlimited" : String(limit.rlim_cur)
        let dumpable = ProcessHardening.prctl.map { String($0(ProcessHardening.getDumpable, 0, 0, 0, 0)) } ?? "unknown"
        print("core_limit=\(core)")
        print("dumpable=\(dumpable)")
        print("fatal_signals=\(ProcessHardening.hardened ? "terminate" : "default")")
    }
}
