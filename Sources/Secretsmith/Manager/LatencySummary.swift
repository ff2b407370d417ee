/// A summary of how long accesses took: count, sum, minimum and maximum, in seconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    /// Accesses measured (successful and failed).
    public var count = 0
    /// Their total time, in seconds.
    public var sumSeconds = 0.0
    /// The shortest, in seconds (0 when `count` is 0).
    public var minSeconds = 0.0
    /// The longest, in seconds.
    public var maxSeconds = 0.0

    public init() {}

    /// The mean, in seconds (0 when nothing was measured).
    public var meanSeconds: Double { count == 0 ? 0 : sumSeconds / Double(count) }

    /// Adds one measurement.
    mutating func record(_ duration: Duration) {
        let seconds = max(0, duration.secondsDouble)
        minSeconds = count == 0 ? seconds : min(minSeconds, seconds)
        maxSeconds = max(maxSeconds, seconds)
        sumSeconds += seconds
        count += 1
    }
}
