import Foundation
import NIOCore

/// The library's conversions between `Duration` and numbers, and its short human-readable
/// form; the configuration's own text syntax (`250ms`, `1m30s`) is `DurationSyntax`.
extension Duration {
    /// The duration in seconds, as a floating-point number.
    package var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A duration from floating-point seconds (rounded to the nanosecond).
    package static func secondsDouble(_ value: Double) -> Duration {
        .nanoseconds(Int64((value * 1e9).rounded()))
    }

    /// The duration in whole milliseconds, rounded to the nearest (log fields such as
    /// `duration_ms`).
    package var roundedMilliseconds: Int {
        Int((secondsDouble * 1000).rounded())
    }

    /// The duration in nanoseconds, truncated, and 0 for a negative duration (metric timers).
    package var nonNegativeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A short form for messages: whole milliseconds below one second (`250 ms`), else
    /// seconds with one decimal (`12.5 s`); a negative duration reads as `0 ms`.
    package var shortText: String {
        let seconds = max(0, secondsDouble)
        if seconds < 1 { return "\(Int(seconds * 1000)) ms" }
        // Tenths rounded to the nearest, built by hand: Foundation's String(format:) costs
        // tens of microseconds on Linux, and an open breaker's refusal says this every time.
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

extension TimeAmount {
    /// The same span of time as `duration`, truncated to the nanosecond.
    package init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
