/// The fault rules of an emulator and the seed of its random choices.
///
/// Given at startup (``EmulatorConfiguration/faults``) and replaced at run time with
/// `POST /_emulator/faults` (this struct as JSON, or a bare JSON array of rules);
/// `DELETE /_emulator/faults` clears it. Replacing the rules restarts their counts.
///
/// ```json
/// {"seed": 42, "rules": [{"kind": "error", "httpStatus": 503, "count": 2, "method": "access"}]}
/// ```
public struct FaultConfiguration: Sendable, Equatable, Codable {
    /// The rules, tried in order for each request (see ``FaultRule``).
    public var rules: [FaultRule]
    /// The seed of the generator behind `rate` and jitter, for reproducible runs;
    /// `nil` seeds from the system's random source.
    public var seed: UInt64?

    public init(rules: [FaultRule] = [], seed: UInt64? = nil) {
        self.rules = rules
        self.seed = seed
    }

    /// No faults.
    public static let none = FaultConfiguration()

    private enum CodingKeys: String, CodingKey { case rules, seed }

    /// Decodes `{"rules": […], "seed": N}`, a bare array of rules, or a single rule.
    public init(from decoder: any Decoder) throws {
        if let names = try? decoder.container(keyedBy: AnyCodingKey.self), names.contains(AnyCodingKey("kind")) {
            rules = [try FaultRule(from: decoder)]
            seed = nil
        } else if let container = try? decoder.container(keyedBy: CodingKeys.self) {
            if let key = AnyCodingKey.unexpectedNames(in: decoder, expected: ["rules", "seed"]).first {
                throw DecodingError.dataCorruptedError(
                    forKey: .rules, in: container,
                    debugDescription: "unknown key `\(key)`; expected `rules` and `seed`, or a single rule with `kind`")
            }
            rules = try container.decodeIfPresent([FaultRule].self, forKey: .rules) ?? []
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed)
        } else {
            rules = try decoder.singleValueContainer().decode([FaultRule].self)
            seed = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rules, forKey: .rules)
        try container.encodeIfPresent(seed, forKey: .seed)
    }
}
