import Foundation

/// RFC 3339 timestamps as Google's JSON APIs write them (`2026-11-29T13:00:00Z`, with or
/// without fractional seconds, `Z` or an offset; protobuf's `Timestamp` JSON mapping).
package enum RFC3339 {
    /// Parses a timestamp, or returns `nil`.
    package static func date(from text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    /// Formats a date as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
    package static func string(from date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
