/// A coding key for any member name, to read objects whose member names are not fixed
/// (echoed JSON) or to reject names that are not expected.
struct AnyCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) {
        stringValue = name
    }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        nil
    }

    /// The member names of the object `decoder` holds that are not in `expected`, sorted.
    ///
    /// - Returns: An empty array when the value is not an object.
    static func unexpectedNames(in decoder: any Decoder, expected: Set<String>) -> [String] {
        guard let container = try? decoder.container(keyedBy: AnyCodingKey.self) else { return [] }
        return container.allKeys.map(\.stringValue).filter { !expected.contains($0) }.sorted()
    }
}
