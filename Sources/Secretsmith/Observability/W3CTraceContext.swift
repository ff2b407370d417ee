import Tracing

/// The identity of one span as W3C Trace Context carries it: a 16-byte trace id, an
/// 8-byte span id, the sampled flag and the vendor `tracestate` list.
///
/// Wire format (W3C Trace Context, <https://www.w3.org/TR/trace-context/#traceparent-header>):
/// `traceparent: 00-<32 lowercase hex trace-id>-<16 lowercase hex parent-id>-<2 hex flags>`.
/// Processes receive it in the `TRACEPARENT` and `TRACESTATE` environment variables
/// (OpenTelemetry's environment-variable carrier convention).
public struct W3CTraceContext: Sendable, Hashable {
    /// 32 lowercase hex digits, not all zero.
    public var traceID: String
    /// 16 lowercase hex digits, not all zero: the span this context identifies.
    public var spanID: String
    /// Whether the trace is sampled (flag bit 0): spans of an unsampled trace are
    /// propagated but not recorded.
    public var sampled: Bool
    /// The `tracestate` header, passed on unchanged (at most 512 characters kept).
    public var traceState: String?

    public init(traceID: String, spanID: String, sampled: Bool = true, traceState: String? = nil) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
        self.traceState = traceState
    }

    /// The `traceparent` header value, version `00`.
    public var traceparent: String {
        "00-\(traceID)-\(spanID)-\(sampled ? "01" : "00")"
    }

    /// Parses a `traceparent` value; returns nil for anything the specification says to
    /// ignore (wrong length, upper-case or non-hex digits, version `ff`, all-zero ids).
    ///
    /// A version above `00` is accepted when its first four fields have the version-00
    /// shape, as §3.2.4 ("future versions") asks.
    public init?(traceparent: String, traceState: String? = nil) {
        let text = traceparent.trimmingWhitespace
        let fields = text.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].count == 2, fields[1].count == 32, fields[2].count == 16,
            fields[3].count == 2, fields.prefix(4).allSatisfy({ $0.allSatisfy(Self.isLowerHex) })
        else { return nil }
        let version = String(fields[0])
        guard version != "ff", version == "00" ? fields.count == 4 : true else { return nil }
        guard fields[1].contains(where: { $0 != "0" }), fields[2].contains(where: { $0 != "0" }),
            let flags = UInt8(fields[3], radix: 16)
        else { return nil }
        self.traceID = String(fields[1])
        self.spanID = String(fields[2])
        self.sampled = flags & 1 == 1
        let state = traceState?.trimmingWhitespace ?? ""
        self.traceState = state.isEmpty || state.count > 512 ? nil : state
    }

    /// A context for a new span: the same trace and sampling, a fresh span id.
    func child() -> W3CTraceContext {
        W3CTraceContext(traceID: traceID, spanID: Self.randomID(bytes: 8), sampled: sampled, traceState: traceState)
    }

    /// A context that starts a new trace.
    static func newTrace() -> W3CTraceContext {
        W3CTraceContext(traceID: randomID(bytes: 16), spanID: randomID(bytes: 8))
    }

    /// `bytes` random bytes as lowercase hex, never all zero.
    static func randomID(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        while true {
            var text = ""
            var nonZero = false
            for _ in 0..<bytes {
                let byte = UInt8.random(in: .min ... .max, using: &generator)
                if byte != 0 { nonZero = true }
                text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
            }
            if nonZero { return text }
        }
    }

    private static func isLowerHex(_ character: Character) -> Bool {
        ("0"..."9").contains(character) || ("a"..."f").contains(character)
    }
}

extension W3CTraceContext {
    /// Reads the `TRACEPARENT` / `TRACESTATE` environment variables.
    ///
    /// - Returns: the remote parent, or nil when `TRACEPARENT` is unset or invalid.
    public static func fromEnvironment(_ environment: [String: String]) -> W3CTraceContext? {
        guard let value = environment["TRACEPARENT"], !value.isEmpty else { return nil }
        return W3CTraceContext(traceparent: value, traceState: environment["TRACESTATE"])
    }
}

/// The key under which a ``W3CTraceContext`` lives in a `ServiceContext`.
enum W3CTraceContextKey: ServiceContextKey {
    typealias Value = W3CTraceContext
    static var nameOverride: String? { "w3c-trace-context" }
}

extension ServiceContext {
    /// The W3C trace context of the current span (or of the remote parent), if any.
    public var w3cTraceContext: W3CTraceContext? {
        get { self[W3CTraceContextKey.self] }
        set { self[W3CTraceContextKey.self] = newValue }
    }
}

extension StringProtocol {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
