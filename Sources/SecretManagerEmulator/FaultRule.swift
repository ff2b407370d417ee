/// One fault injection rule: what goes wrong, for which requests, how often.
///
/// A rule matches a request when its ``method`` (if any) is the request's method and its
/// ``resource`` pattern (if any) matches the resource name as requested (without `/v1/`
/// and the `:verb`, e.g. `projects/acme/secrets/db/versions/latest`). A pattern with `*`
/// or `?` is a glob over the whole name (`*` also crosses `/`); otherwise it is a
/// substring. A matching rule fires with probability ``rate``, and at most ``count``
/// times when a count is given ("503 twice, then OK": `.error(httpStatus: 503)`, count 2).
///
/// Rules are tried in order for each request. Latency and stall delays add up; the first
/// firing error, 429 or drop decides the answer (later ones are not tried, and their
/// counts are not used up). A wrong checksum only concerns `access`.
///
/// JSON form (admin endpoint `POST /_emulator/faults`, see ``FaultConfiguration``), an
/// object or the text form as a JSON string (`"error:503,count=2"`):
/// ```json
/// {"kind": "latency", "latencyMs": 200, "jitterMs": 50, "method": "access"}
/// {"kind": "error", "httpStatus": 503, "status": "UNAVAILABLE", "rate": 0.5}
/// {"kind": "resourceExhausted", "retryAfterSeconds": 2, "count": 1}
/// {"kind": "drop", "resource": "projects/*/secrets/db-*"}
/// {"kind": "stall", "seconds": 30}
/// {"kind": "wrongChecksum"}
/// ```
public struct FaultRule: Sendable, Equatable, Codable, CustomStringConvertible {
    /// What goes wrong.
    public enum Kind: Sendable, Equatable {
        /// Answer after a delay: `milliseconds` plus a uniform random 0…`jitterMilliseconds`.
        case latency(milliseconds: Int, jitterMilliseconds: Int = 0)
        /// Answer with an error in Google's envelope: HTTP `httpStatus` and canonical
        /// `status` (`nil` picks Google's pairing, e.g. 503 → `UNAVAILABLE`).
        case error(httpStatus: Int, status: String? = nil)
        /// Answer 429 `RESOURCE_EXHAUSTED` with a `Retry-After: retryAfterSeconds` header.
        case resourceExhausted(retryAfterSeconds: Int)
        /// Close the connection without answering.
        case dropConnection
        /// Wait `seconds` before handling the request (cancelled when the emulator stops).
        case stall(seconds: Double)
        /// Answer `access` with a `dataCrc32c` one more than the true checksum.
        case wrongChecksum

        /// The name used in JSON and in ``EmulatorStats/faults``.
        public var name: String {
            switch self {
            case .latency: "latency"
            case .error: "error"
            case .resourceExhausted: "resourceExhausted"
            case .dropConnection: "drop"
            case .stall: "stall"
            case .wrongChecksum: "wrongChecksum"
            }
        }

        /// Whether this kind replaces the answer (only one such fault per request).
        var decidesAnswer: Bool {
            switch self {
            case .error, .resourceExhausted, .dropConnection: true
            case .latency, .stall, .wrongChecksum: false
            }
        }
    }

    /// What goes wrong.
    public var kind: Kind
    /// The method the rule is limited to, or `nil` for every method.
    public var method: EmulatorMethod?
    /// A substring or glob of the requested resource name, or `nil` for every resource.
    public var resource: String?
    /// The probability (0…1) that a matching request is faulted. Default 1.
    public var rate: Double
    /// Fault at most this many matching requests, or `nil` for no limit.
    public var count: Int?

    public init(
        _ kind: Kind, method: EmulatorMethod? = nil, resource: String? = nil, rate: Double = 1, count: Int? = nil
    ) {
        self.kind = kind
        self.method = method
        self.resource = resource
        self.rate = rate
        self.count = count
    }

    /// Whether the rule concerns a request of `method` for the resource name `resource`
    /// (as requested). Rate and count are not considered here.
    func matches(method requestMethod: EmulatorMethod, resource name: String) -> Bool {
        if let method, method != requestMethod { return false }
        if case .wrongChecksum = kind, requestMethod != .access { return false }
        guard let resource else { return true }
        return GlobPattern(resource).matches(name)
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case kind, method, resource, rate, count
        case latencyMs, jitterMs, httpStatus, status, retryAfterSeconds, seconds
    }

    /// Decodes the JSON object form, or a string in the compact text form of `--fault`
    /// (``init(parsing:)``).
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            do {
                self = try FaultRule(parsing: text)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
            }
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let expected = Set(["kind", "method", "resource", "rate", "count", "latencyMs", "jitterMs", "httpStatus", "status", "retryAfterSeconds", "seconds"])
        if let unknown = AnyCodingKey.unexpectedNames(in: decoder, expected: expected).first {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "unknown key `\(unknown)` in a fault rule")
        }
        let name = try container.decode(String.self, forKey: .kind)
        switch name {
        case "latency":
            kind = .latency(
                milliseconds: try container.decodeIfPresent(Int.self, forKey: .latencyMs) ?? 0,
                jitterMilliseconds: try container.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0)
        case "error":
            kind = .error(
                httpStatus: try container.decodeIfPresent(Int.self, forKey: .httpStatus) ?? 503,
                status: try container.decodeIfPresent(String.self, forKey: .status))
        case "resourceExhausted":
            kind = .resourceExhausted(
                retryAfterSeconds: try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 1)
        case "drop":
            kind = .dropConnection
        case "stall":
            kind = .stall(seconds: try container.decode(Double.self, forKey: .seconds))
        case "wrongChecksum":
            kind = .wrongChecksum
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown fault kind `\(name)`; expected latency, error, resourceExhausted, drop, stall or wrongChecksum")
        }
        method = try container.decodeIfPresent(EmulatorMethod.self, forKey: .method)
        resource = try container.decodeIfPresent(String.self, forKey: .resource)
        rate = try container.decodeIfPresent(Double.self, forKey: .rate) ?? 1
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        if let problem = validationProblem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind.name, forKey: .kind)
        switch kind {
        case .latency(let milliseconds, let jitter):
            try container.encode(milliseconds, forKey: .latencyMs)
            try container.encode(jitter, forKey: .jitterMs)
        case .error(let httpStatus, let status):
            try container.encode(httpStatus, forKey: .httpStatus)
            try container.encodeIfPresent(status, forKey: .status)
        case .resourceExhausted(let seconds):
            try container.encode(seconds, forKey: .retryAfterSeconds)
        case .stall(let seconds):
            try container.encode(seconds, forKey: .seconds)
        case .dropConnection, .wrongChecksum:
            break
        }
        try container.encodeIfPresent(method, forKey: .method)
        try container.encodeIfPresent(resource, forKey: .resource)
        try container.encode(rate, forKey: .rate)
        try container.encodeIfPresent(count, forKey: .count)
    }

    /// The longest delay a latency rule (milliseconds plus jitter) may add: 86,400,000 ms,
    /// a day, the same bound as a stall's 86,400 s.
    static let maximumDelayMilliseconds = 86_400_000

    /// Why the rule's numbers are out of range, or `nil` when they are fine.
    var validationProblem: String? {
        guard rate >= 0, rate <= 1 else { return "`rate` must be between 0 and 1" }
        if let count, count < 0 { return "`count` must not be negative" }
        switch kind {
        case .latency(let milliseconds, let jitter) where milliseconds < 0 || jitter < 0:
            return "latency and jitter must not be negative"
        case .latency(let milliseconds, let jitter)
        where milliseconds > Self.maximumDelayMilliseconds || jitter > Self.maximumDelayMilliseconds - milliseconds:
            return "a latency plus its jitter must be at most 86400000 milliseconds (86400 s)"
        case .error(let httpStatus, _) where !(400...599).contains(httpStatus):
            return "an error's `httpStatus` must be between 400 and 599"
        case .resourceExhausted(let seconds) where seconds < 0:
            return "`retryAfterSeconds` must not be negative"
        case .stall(let seconds) where !(seconds >= 0 && seconds <= 86_400):
            return "a stall's `seconds` must be between 0 and 86400"
        default:
            return nil
        }
    }

    /// The compact text form (see ``init(parsing:)``).
    public var description: String {
        var text: String
        switch kind {
        case .latency(let milliseconds, let jitter):
            text = jitter > 0 ? "latency:\(milliseconds)+\(jitter)" : "latency:\(milliseconds)"
        case .error(let httpStatus, let status):
            text = status.map { "error:\(httpStatus)/\($0)" } ?? "error:\(httpStatus)"
        case .resourceExhausted(let seconds):
            text = "quota:\(seconds)"
        case .dropConnection:
            text = "drop"
        case .stall(let seconds):
            text = "stall:\(seconds)"
        case .wrongChecksum:
            text = "checksum"
        }
        if let method { text += ",method=\(method.rawValue)" }
        if let resource { text += ",resource=\(resource)" }
        if rate != 1 { text += ",rate=\(rate)" }
        if let count { text += ",count=\(count)" }
        return text
    }
}
