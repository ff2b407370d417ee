import Foundation

/// The query of a request URL as form-style name/value pairs: `+` is a space and
/// `%XX` is a byte (WHATWG URL, application/x-www-form-urlencoded parsing), so
/// `filter=state%3AENABLED` and `filter=state:ENABLED` read the same.
struct QueryParameters: Sendable {
    private var values: [String: String] = [:]

    /// - Parameter query: The raw query (after `?`), or `nil` for none.
    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil {
                values[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
            }
        }
    }

    /// The first value of `name`, or `nil`.
    subscript(name: String) -> String? { values[name] }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
