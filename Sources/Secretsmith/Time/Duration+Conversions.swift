import Foundation

/// The library's conversions between `Duration` and numbers, and its short human-readable
/// form; the configuration's own text syntax (`250ms`, `1m30s`) is `DurationSyntax`.
extension Duration {
    /// The duration in seconds, as a floating-point number.
    package var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A duration from floating-point seconds (rounded to the nanosecond). Spans beyond what
    /// 64 bits of nanoseconds hold (about ±292 years; a server's `expires_in` of `1e300`, a
    /// far-future expiry) saturate at the limit; NaN is zero.
    package static func secondsDouble(_ value: Double) -> Duration {
        let nanoseconds = (value * 1e9).rounded()
        if nanoseconds.isNaN { return .zero }
        // 2^63 is Int64.max + 1: the first Double that does not convert.
        if nanoseconds >= 0x1p63 { return .nanoseconds(Int64.max) }
        if nanoseconds < -0x1p63 { return .nanoseconds(Int64.min) }
        return .nanoseconds(Int64(nanoseconds))
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
