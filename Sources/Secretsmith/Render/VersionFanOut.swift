/// Resolves every distinct secret version of a plan concurrently under a run's deadline:
/// the one fan-out of a render's fetch, `check`'s metadata and payload lookups and
/// `lock`'s pins.
///
/// At most ``width`` operations are in flight at once (the manager's limiters bound the
/// Secret Manager calls themselves); versions start in ``RenderPlan/FetchKey`` order.
/// When the deadline passes, every outstanding operation is cancelled, no new one starts,
/// and ``run(_:_:)`` throws ``DeadlineExceededError``.
package struct VersionFanOut: Sendable {
    /// The most operations in flight at once (at least 1).
    package var width: Int
    /// The time allowed for the whole fan-out; `nil` means no limit.
    package var deadline: Duration?
    /// The time source of the deadline.
    package var clock: SecretManagerClock

    package init(width: Int, deadline: Duration?, clock: SecretManagerClock = .continuous) {
        self.width = max(1, width)
        self.deadline = deadline
        self.clock = clock
    }

    /// A fan-out as wide as the calls the manager lets through at once: the sum, over the
    /// configuration's environments, of each one's `concurrency` (at least the defaults').
    package init(for configuration: Configuration, deadline: Duration?, clock: SecretManagerClock = .continuous) {
        let perEnvironment = configuration.environmentNames.map {
            configuration.settings(forEnvironment: $0)?.concurrency ?? configuration.defaults.concurrency
        }
        self.init(
            width: max(configuration.defaults.concurrency, perEnvironment.reduce(0, +)), deadline: deadline,
            clock: clock)
    }

    /// Runs `operation` once per version.
    ///
    /// - Parameters:
    ///   - secrets: the versions, by key (``RenderPlan/distinctSecrets``).
    ///   - operation: what to do with one version; its errors are collected, not thrown.
    /// - Returns: the value of every version whose operation returned, and the error
    ///   (wrapped as a ``SecretsmithError``) of every version whose operation threw.
    /// - Throws: ``DeadlineExceededError`` when the deadline passes first.
    package func run<Value: Sendable>(
        _ secrets: [RenderPlan.FetchKey: SecretConfig],
        _ operation: @escaping @Sendable (RenderPlan.FetchKey, SecretConfig) async throws -> Value
    ) async throws -> (values: [RenderPlan.FetchKey: Value], failures: [RenderPlan.FetchKey: any SecretsmithError]) {
        let ordered = secrets.sorted { $0.key < $1.key }
        let width = self.width
        return try await withDeadline(deadline, clock: clock) {
            await withTaskGroup(of: (RenderPlan.FetchKey, Value?, (any SecretsmithError)?).self) { group in
                var pending = ordered[...]
                func startNext() {
                    guard !Task.isCancelled, let (key, secret) = pending.popFirst() else { return }
                    group.addTask {
                        do {
                            return (key, try await operation(key, secret), nil)
                        } catch {
                            return (key, nil, UnexpectedError.wrap(error))
                        }
                    }
                }
                for _ in 0..<width { startNext() }
                var values: [RenderPlan.FetchKey: Value] = [:]
                var failures: [RenderPlan.FetchKey: any SecretsmithError] = [:]
                while let (key, value, error) = await group.next() {
                    if let value { values[key] = value }
                    if let error { failures[key] = error }
                    startNext()
                }
                return (values, failures)
            }
        }
    }
}

extension RenderPlan {
    /// One problem per site of every reference whose version failed, in the plan's order.
    package func problems(at failures: [FetchKey: any SecretsmithError]) -> [RenderProblem] {
        guard !failures.isEmpty else { return [] }
        var problems: [RenderProblem] = []
        for output in outputs where output.firstUses.contains(where: { failures[$0.fetchKey] != nil }) {
            for reference in output.references {
                if let error = failures[reference.fetchKey] {
                    problems.append(RenderProblem(site: reference.site, reference: reference.text, error: error))
                }
            }
        }
        return problems
    }

    /// The first reference text written for each version (the access log names a version
    /// by it).
    package var firstReferenceTexts: [FetchKey: String] {
        var result: [FetchKey: String] = [:]
        for output in outputs {
            for reference in output.firstUses where result[reference.fetchKey] == nil {
                result[reference.fetchKey] = reference.text
            }
        }
        return result
    }
}
