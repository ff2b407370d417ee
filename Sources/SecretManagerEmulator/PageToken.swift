import Foundation

/// List paging: `pageSize` (1…25000, absent or 0 = all, at most 25000 as Google caps
/// it) and an opaque `pageToken` that encodes the offset of the next page.
struct PageToken: Sendable, Equatable {
    /// The largest page Secret Manager returns.
    static let maxPageSize = 25_000

    /// The index of the first item of the page.
    var offset: Int

    /// The token text: base64 of `offset:N`, opaque to clients.
    var text: String { Data("offset:\(offset)".utf8).base64EncodedString() }

    init(offset: Int) {
        self.offset = offset
    }

    /// Reads a token from a request.
    ///
    /// - Throws: ``GoogleAPIError`` INVALID_ARGUMENT for a token the emulator did not make.
    init(parsing text: String) throws(GoogleAPIError) {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
            decoded.hasPrefix("offset:"), let offset = Int(decoded.dropFirst(7)), offset >= 0
        else {
            throw .invalidArgument("The page token [\(text)] is invalid.")
        }
        self.offset = offset
    }

    /// One page of `items` from the request's `pageSize` and `pageToken`.
    ///
    /// - Returns: The page and the token of the next page (`nil` on the last page).
    /// - Throws: ``GoogleAPIError`` INVALID_ARGUMENT for a bad size or token.
    static func page<Item>(
        of items: [Item], pageSize: String?, pageToken: String?
    ) throws(GoogleAPIError) -> (items: ArraySlice<Item>, next: String?) {
        var size = maxPageSize
        if let pageSize, !pageSize.isEmpty {
            guard let parsed = Int(pageSize), parsed >= 0 else {
                throw .invalidArgument("The page size [\(pageSize)] must be a non-negative number.")
            }
            size = parsed == 0 ? maxPageSize : min(parsed, maxPageSize)
        }
        let start = try pageToken.flatMap { $0.isEmpty ? nil : $0 }.map { token throws(GoogleAPIError) in
            try PageToken(parsing: token).offset
        } ?? 0
        let lower = min(start, items.count)
        let upper = min(lower + size, items.count)
        let next = upper < items.count ? PageToken(offset: upper).text : nil
        return (items[lower..<upper], next)
    }
}
