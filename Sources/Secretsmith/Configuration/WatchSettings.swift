#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `watch:` settings of `secretsmith watch`, resolved through the `defaults:` and
/// environment layers (each key from the nearest layer that sets it).
///
/// ```yaml
/// defaults:
///   watch:
///     subscription: projects/acme-ops/subscriptions/secretsmith   # Pub/Sub pull subscription, or off
///     poll_interval: 5m        # metadata polling of latest and aliases; 0 or off disables it
///     poll_jitter: 30s         # a random extra delay up to this, per poll (default: a tenth of the interval)
///     check_pinned: false      # also re-check the state of pinned version numbers
///     debounce: 250ms          # events within this window after the first make one refresh
///     splay: 0s                # a random delay up to this before each refresh
///     child:
///       on_change: signal      # signal (default), restart or none
///       signal: SIGHUP         # what on_change: signal sends
///       stop_signal: SIGTERM   # what restart and shutdown send first
///       grace_period: 10s      # then SIGKILL
/// ```
public struct WatchSettings: Sendable, Hashable {
    /// What a supervised child gets when an output it reads changed (`child.on_change`).
    public enum ChildReaction: String, Sendable, Hashable, CaseIterable {
        /// Send it `child.signal`.
        case signal
        /// Stop it (`child.stop_signal`, `child.grace_period`, then SIGKILL) and start it again.
        case restart
        /// Nothing.
        case none
    }

    /// `subscription`: the Pub/Sub pull subscription, `projects/P/subscriptions/S`; `nil`
    /// (not set, or `off`) watches by polling only.
    public var subscription: String?
    /// `poll_interval` (default 5 m): how often the metadata of references that can move
    /// (`latest`, aliases) is read; `nil` (`0` or `off`) never polls.
    public var pollInterval: Duration?
    /// `poll_jitter`: a random extra delay, from zero up to this, added to each poll
    /// interval (default: a tenth of the interval).
    public var pollJitter: Duration?
    /// `check_pinned` (default false): whether polling also reads the state of pinned
    /// version numbers (their bytes never change, but they can be disabled or destroyed).
    public var checkPinned: Bool
    /// `debounce` (default 250 ms): the window after a first change during which further
    /// changes join the same refresh; also the shortest time between two reloads of a child.
    public var debounce: Duration
    /// `splay` (default 0): a random delay, from zero up to this, before each refresh, so
    /// that many replicas do not all refresh (and restart) at once.
    public var splay: Duration
    /// `child.on_change` (default `signal`).
    public var childOnChange: ChildReaction
    /// `child.signal` (default SIGHUP): what `on_change: signal` sends.
    public var childSignal: Int32
    /// `child.stop_signal` (default SIGTERM): sent to stop the child on restart and shutdown.
    public var childStopSignal: Int32
    /// `child.grace_period` (default 10 s): how long a stopping child may take before SIGKILL.
    public var childGracePeriod: Duration

    public init(
        subscription: String? = nil, pollInterval: Duration? = .seconds(300), pollJitter: Duration? = nil,
        checkPinned: Bool = false, debounce: Duration = .milliseconds(250), splay: Duration = .zero,
        childOnChange: ChildReaction = .signal, childSignal: Int32 = SIGHUP, childStopSignal: Int32 = SIGTERM,
        childGracePeriod: Duration = .seconds(10)
    ) {
        self.subscription = subscription
        self.pollInterval = pollInterval
        self.pollJitter = pollJitter
        self.checkPinned = checkPinned
        self.debounce = debounce
        self.splay = splay
        self.childOnChange = childOnChange
        self.childSignal = childSignal
        self.childStopSignal = childStopSignal
        self.childGracePeriod = childGracePeriod
    }

    /// The jitter in effect: ``pollJitter``, else a tenth of the interval, else zero.
    public var effectivePollJitter: Duration {
        pollJitter ?? (pollInterval.map { $0 / 10 } ?? .zero)
    }

    /// The signals `child.signal` and `child.stop_signal` accept, by name (with or without
    /// the `SIG` prefix, any case).
    static let signals: [(name: String, number: Int32)] = [
        ("SIGHUP", SIGHUP), ("SIGINT", SIGINT), ("SIGQUIT", SIGQUIT), ("SIGTERM", SIGTERM), ("SIGUSR1", SIGUSR1),
        ("SIGUSR2", SIGUSR2), ("SIGWINCH", SIGWINCH), ("SIGALRM", SIGALRM), ("SIGKILL", SIGKILL),
    ]

    /// The number of a signal name (`SIGHUP`, `HUP`, `hup`), or `nil`.
    static func signalNumber(named text: String) -> Int32? {
        let upper = text.uppercased()
        let name = upper.hasPrefix("SIG") ? upper : "SIG" + upper
        return signals.first { $0.name == name }?.number
    }

    /// The name of a signal number (`SIGHUP`), or `signal N`.
    static func signalName(_ number: Int32) -> String {
        signals.first { $0.number == number }?.name ?? "signal \(number)"
    }
}

/// The `on_change:` of an output: a command run after the output's file changed.
///
/// ```yaml
/// on_change:
///   command: [systemctl, reload, nginx]   # argv, not a shell string
///   timeout: 30s                          # default 30 s; then it is killed
/// ```
public struct OutputChangeCommand: Sendable, Hashable {
    /// The program and its arguments; the program is looked up in `PATH`.
    public var argv: [String]
    /// The longest the command may run (default 30 s).
    public var timeout: Duration

    public init(argv: [String], timeout: Duration = .seconds(30)) {
        self.argv = argv
        self.timeout = timeout
    }
}

/// The `watch:` keys one layer (`defaults:` or an environment) sets; `nil` where it says
/// nothing.
public struct WatchLayerSettings: Sendable, Hashable {
    /// `subscription`; `.some(nil)` when written `off`.
    public var subscription: String??
    /// `poll_interval`; `.some(nil)` when written `0` or `off`.
    public var pollInterval: Duration??
    /// `poll_jitter`.
    public var pollJitter: Duration?
    /// `check_pinned`.
    public var checkPinned: Bool?
    /// `debounce`.
    public var debounce: Duration?
    /// `splay`.
    public var splay: Duration?
    /// `child.on_change`.
    public var childOnChange: WatchSettings.ChildReaction?
    /// `child.signal`.
    public var childSignal: Int32?
    /// `child.stop_signal`.
    public var childStopSignal: Int32?
    /// `child.grace_period`.
    public var childGracePeriod: Duration?

    public init() {}
}
