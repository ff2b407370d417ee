/// What the fault rules decided for one request: delays to wait, then how to answer.
struct FaultPlan: Sendable, Equatable {
    /// How the answer is replaced, if it is.
    enum Outcome: Sendable, Equatable {
        /// Answer with this error (including 429 with `Retry-After`).
        case error(GoogleAPIError)
        /// Close the connection without answering.
        case dropConnection
    }

    /// Injected latency (with jitter), waited before handling.
    var latency: Duration = .zero
    /// Injected stall, waited before handling.
    var stall: Duration = .zero
    /// The replaced answer, or `nil` to handle the request normally.
    var outcome: Outcome?
    /// Whether an `access` answer carries a wrong `dataCrc32c`.
    var wrongChecksum = false
    /// The names of the fault kinds that fired, for ``EmulatorStats/faults``.
    var firedKinds: [String] = []
}
