import Foundation
import Tracing

/// A finished span as ``W3CTracer`` records it: plain values, ready for a test to inspect
/// or for `--trace-file` to write as one JSON object per line.
public struct RecordedSpan: Sendable, Hashable {
    /// A recorded attribute value.
    public enum Value: Sendable, Hashable, CustomStringConvertible {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        case strings([String])

        public var description: String {
            switch self {
            case .string(let value): value
            case .int(let value): String(value)
            case .double(let value): String(value)
            case .bool(let value): String(value)
            case .strings(let values): values.joined(separator: ",")
            }
        }

        var json: Any {
            switch self {
            case .string(let value): value
            case .int(let value): value
            case .double(let value): value
            case .bool(let value): value
            case .strings(let values): values
            }
        }
    }

    /// A timestamped event inside the span (for a fetch: one per attempt).
    public struct Event: Sendable, Hashable {
        public var name: String
        /// Nanoseconds since the Unix epoch.
        public var time: UInt64
        public var attributes: [String: Value]
    }

    public var name: String
    /// `internal`, `client`, `server`, `producer` or `consumer`.
    public var kind: String
    /// 32 lowercase hex digits.
    public var traceID: String
    /// 16 lowercase hex digits.
    public var spanID: String
    /// The parent's span id: a local span, or the remote parent from `TRACEPARENT`.
    public var parentSpanID: String?
    /// Nanoseconds since the Unix epoch.
    public var startTime: UInt64
    /// Nanoseconds since the Unix epoch.
    public var endTime: UInt64
    public var attributes: [String: Value]
    public var events: [Event]
    /// `unset`, `ok` or `error`.
    public var status: String
    /// The status message, when one was set.
    public var statusMessage: String?

    /// The span as one line of JSON (keys sorted, newline included), in the shape of
    /// OpenTelemetry's span data model with snake_case keys.
    public var jsonLine: String {
        var object: [String: Any] = [
            "name": name, "kind": kind, "trace_id": traceID, "span_id": spanID,
            "start_time_unix_nano": startTime, "end_time_unix_nano": endTime,
            "attributes": attributes.mapValues(\.json),
            "status": statusMessage.map { ["code": status, "message": $0] } ?? ["code": status],
            "resource": ["service.name": "secretsmith", "service.version": SecretsmithVersion.current],
        ]
        if let parentSpanID { object["parent_span_id"] = parentSpanID }
        if !events.isEmpty {
            object["events"] = events.map { event in
                ["name": event.name, "time_unix_nano": event.time, "attributes": event.attributes.mapValues(\.json)]
                    as [String: Any]
            }
        }
        return JSONText.encode(object) + "\n"
    }

    /// Converts swift-distributed-tracing attributes to plain values.
    ///
    /// AsyncHTTPClient 1.37 still writes the pre-1.0 semantic-convention key
    /// `http.status_code`; it is recorded under the stable name
    /// `http.response.status_code` (OpenTelemetry HTTP semantic conventions v1.23+).
    static func values(_ attributes: SpanAttributes) -> [String: Value] {
        var result: [String: Value] = [:]
        attributes.forEach { key, attribute in
            let name = key == "http.status_code" ? "http.response.status_code" : key
            switch attribute {
            case .string(let value): result[name] = .string(value)
            case .int32(let value): result[name] = .int(Int64(value))
            case .int64(let value): result[name] = .int(value)
            case .double(let value): result[name] = .double(value)
            case .bool(let value): result[name] = .bool(value)
            case .stringArray(let values): result[name] = .strings(values)
            case .int32Array(let values): result[name] = .strings(values.map(String.init))
            case .int64Array(let values): result[name] = .strings(values.map(String.init))
            case .doubleArray(let values): result[name] = .strings(values.map { String($0) })
            case .boolArray(let values): result[name] = .strings(values.map { String($0) })
            case .stringConvertible(let value): result[name] = .string(value.description)
            case .stringConvertibleArray(let values): result[name] = .strings(values.map(\.description))
            default: break
            }
        }
        return result
    }
}
