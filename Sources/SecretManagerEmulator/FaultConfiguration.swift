import Foundation

/// The fault rules of an emulator and the seed of its random choices.
///
/// Given at startup (``EmulatorConfiguration/faults``) and replaced at run time with
/// `POST /_emulator/faults` (this struct as JSON, an array of rules or one rule, each
/// rule an object or a `--fault` string; or plain-text `--fault` rules, one per line);
/// `DELETE /_emulator/faults` clears it. Replacing the rules restarts their counts.
///
/// ```json
/// {"seed": 42, "rules": [{"kind": "error", "httpStatus": 503, "count": 2, "method": "access"}]}
/// {"seed": 42, "rules": ["error:503,count=2,method=access", "latency:200+50"]}
/// ["quota:2,count=1"]
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
        } else if let text = try? decoder.singleValueContainer().decode(String.self) {
            rules = [try FaultRule(parsing: text)]
            seed = nil
        } else {
            rules = try decoder.singleValueContainer().decode([FaultRule].self)
            seed = nil
        }
    }

    /// The body of `POST /_emulator/faults`: JSON (this struct, an array of rules, or one
    /// rule, each rule an object or a `--fault` string), or plain text with one `--fault`
    /// rule per line (blank lines and lines starting with `#` are skipped).
    ///
    /// - Throws: `DecodingError` for invalid JSON, ``FaultRuleSyntaxError`` for an invalid
    ///   text rule, ``EmptyBody`` for a body with no rule at all.
    static func parse(adminBody body: [UInt8]) throws -> FaultConfiguration {
        let text = String(decoding: body, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = trimmed.first else { throw EmptyBody() }
        if first == "{" || first == "[" || first == "\"" {
            return try JSONDecoder().decode(FaultConfiguration.self, from: Data(body))
        }
        var rules: [FaultRule] = []
        for line in trimmed.split(whereSeparator: \.isNewline) {
            let rule = line.trimmingCharacters(in: .whitespaces)
            if rule.isEmpty || rule.hasPrefix("#") { continue }
            rules.append(try FaultRule(parsing: rule))
        }
        return FaultConfiguration(rules: rules)
    }

    /// `POST /_emulator/faults` was sent without a body.
    struct EmptyBody: Error, CustomStringConvertible {
        var description: String {
            "The body is empty: send a fault configuration as JSON, or --fault rules, one per line (DELETE clears the rules)."
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rules, forKey: .rules)
        try container.encodeIfPresent(seed, forKey: .seed)
    }
}
