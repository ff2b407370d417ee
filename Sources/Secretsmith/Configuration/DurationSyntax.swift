/// The configuration's duration syntax: one or more `<digits><unit>` parts with units
/// `h`, `m`, `s`, `ms`, largest first, each at most once (`250ms`, `10s`, `5m`, `1h`,
/// `1m30s`, `0s`).
package enum DurationSyntax {
    /// The longest duration accepted: 1,000,000,000 seconds (about 31 years).
    static let maxSeconds: Int64 = 1_000_000_000

    private static let units: [(name: String, milliseconds: Int64)] = [
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses a duration.
    ///
    /// - Throws: `ConfigurationError` (without file or position) naming the text.
    package static func parse(_ text: String) throws(ConfigurationError) -> Duration {
        let bytes = Array(text.utf8)
        var index = 0
        var total: Int64 = 0
        var lastUnit = -1
        func failure(_ why: String) -> ConfigurationError {
            ConfigurationError(
                message: "\(ConfigurationRules.quoted(text)) is not a duration: \(why)",
                hint: "Write a number with a unit: 250ms, 10s, 5m, 1h or 1m30s."
            )
        }
        guard !bytes.isEmpty else { throw failure("it is empty") }
        while index < bytes.count {
            var number: Int64 = 0
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                number = number * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                if number > maxSeconds * 1000 { throw failure("it is longer than \(maxSeconds) seconds") }
                index += 1
            }
            guard index > start else { throw failure("expected a number at character \(start + 1)") }
            let unitStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "a"), bytes[index] <= UInt8(ascii: "z") {
                index += 1
            }
            let unit = String(decoding: bytes[unitStart..<index], as: UTF8.self)
            guard !unit.isEmpty else { throw failure("the number \(number) has no unit") }
            guard let position = units.firstIndex(where: { $0.name == unit }) else {
                throw failure("unknown unit \"\(unit)\"")
            }
            guard position > lastUnit else { throw failure("units must go from largest to smallest, each once") }
            lastUnit = position
            total += number * units[position].milliseconds
            if total > maxSeconds * 1000 { throw failure("it is longer than \(maxSeconds) seconds") }
        }
        return .milliseconds(total)
    }

    /// Formats a duration in the same syntax (`250ms`, `10s`, `1m30s`, `0s`), for `explain`.
    package static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        var milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        var text = milliseconds < 0 ? "-" : ""
        milliseconds = abs(milliseconds)
        for unit in units where milliseconds >= unit.milliseconds {
            text += "\(milliseconds / unit.milliseconds)\(unit.name)"
            milliseconds %= unit.milliseconds
        }
        return text
    }
}
