/// A run took longer than its deadline (`--timeout` or `deadline:`). Outstanding Secret
/// Manager calls were cancelled and nothing was written.
public struct DeadlineExceededError: SecretsmithError, Equatable {
    /// What happened.
    ///
    /// A struct with static members rather than an enum, so that codes can be added
    /// without breaking callers: compare with `==` or switch with a `default:` case.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case runDeadlineExceeded = "RUN_DEADLINE_EXCEEDED"
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The code's name in `UPPER_SNAKE_CASE`.
        public var description: String { base.rawValue }

        /// The whole run's deadline passed (not one call's timeout, which is ``SecretManagerError/Code/deadlineExceeded``).
        public static let runDeadlineExceeded = Code(.runDeadlineExceeded)
    }

    /// What happened.
    public var code: Code { .runDeadlineExceeded }
    public var shortDescription: String { code.description }

    /// The deadline that passed.
    public var deadline: Duration

    public init(deadline: Duration) { self.deadline = deadline }

    public var kind: FailureKind { .unavailable }

    public var description: String {
        "The run did not finish within its deadline of \(DurationSyntax.format(deadline)); "
            + "outstanding Secret Manager calls were cancelled and nothing was written."
    }
}

/// Runs `operation`, cancelling it when `deadline` passes first.
///
/// - Parameters:
///   - deadline: the time allowed; `nil` means no limit.
///   - clock: the time source (tests move it by hand).
/// - Throws: ``DeadlineExceededError`` when the deadline passes first (the operation's
///   task is cancelled, which cancels the manager's accesses: their shared calls once no
///   other task waits for them, HTTP requests, token exchanges, backoff sleeps and waits
///   for a free slot; this returns as soon as they have stopped), else what `operation`
///   throws.
package func withDeadline<Result: Sendable>(
    _ deadline: Duration?, clock: SecretManagerClock = .continuous,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    guard let deadline else { return try await operation() }
    return try await withThrowingTaskGroup(of: Result.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await clock.sleep(deadline)
            throw DeadlineExceededError(deadline: deadline)
        }
        defer { group.cancelAll() }
        // The first child to finish decides: a result, the operation's error, or the deadline.
        guard let first = try await group.next() else { throw DeadlineExceededError(deadline: deadline) }
        return first
    }
}
