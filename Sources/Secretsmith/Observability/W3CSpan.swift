import Synchronization
import Tracing

/// A span of ``W3CTracer``: attributes, events and status behind a lock, handed to the
/// ``SpanRecorder`` once when it ends.
///
/// A span of an unsampled trace (the remote parent's flags say so) is not recording: it
/// carries its ids for propagation and records nothing.
public final class W3CSpan: Span {
    private struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var events: [RecordedSpan.Event] = []
        var status: SpanStatus?
        var ended = false
    }

    public let context: ServiceContext
    /// The span's ids.
    public let traceContext: W3CTraceContext
    /// The parent's span id, local or remote.
    public let parentSpanID: String?
    public let kind: SpanKind
    private let startTime: UInt64
    private let recorder: SpanRecorder?
    private let state: Mutex<State>

    init(
        operationName: String, kind: SpanKind, context: ServiceContext, traceContext: W3CTraceContext,
        parentSpanID: String?, startTime: UInt64, recorder: SpanRecorder?
    ) {
        var context = context
        context.w3cTraceContext = traceContext
        self.context = context
        self.traceContext = traceContext
        self.parentSpanID = parentSpanID
        self.kind = kind
        self.startTime = startTime
        self.recorder = traceContext.sampled ? recorder : nil
        self.state = Mutex(State(operationName: operationName))
    }

    public var isRecording: Bool {
        recorder != nil && !state.withLock { $0.ended }
    }

    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { if !$0.ended { $0.operationName = newValue } } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set {
            guard recorder != nil else { return }
            state.withLock { if !$0.ended { $0.attributes = newValue } }
        }
    }

    public func setStatus(_ status: SpanStatus) {
        state.withLock { state in
            // OpenTelemetry: once Ok, a status is final; Error may be set over Unset.
            if state.status?.code == .ok { return }
            state.status = status
        }
    }

    public func addEvent(_ event: SpanEvent) {
        guard recorder != nil else { return }
        let recorded = RecordedSpan.Event(
            name: event.name, time: event.nanosecondsSinceEpoch, attributes: RecordedSpan.values(event.attributes))
        state.withLock { if !$0.ended { $0.events.append(recorded) } }
    }

    /// Records an `exception` event (OpenTelemetry exception conventions) and sets
    /// `error.type` on the span. The message is kept only for secretsmith's own errors,
    /// whose descriptions never hold a value; other errors give their type alone.
    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        guard recorder != nil else { return }
        let type = SecretsmithSpans.errorType(error)
        var eventAttributes = attributes
        eventAttributes["exception.type"] = String(reflecting: Swift.type(of: error))
        if let error = error as? any SecretsmithError {
            eventAttributes["exception.message"] = error.description
        }
        let event = RecordedSpan.Event(
            name: "exception", time: instant().nanosecondsSinceEpoch, attributes: RecordedSpan.values(eventAttributes))
        state.withLock { state in
            guard !state.ended else { return }
            state.events.append(event)
            if state.attributes.get("error.type") == nil { state.attributes["error.type"] = type }
        }
    }

    public func addLink(_ link: SpanLink) {}

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let finished: State? = state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            return state
        }
        guard let finished, let recorder else { return }
        let status: String =
            switch finished.status?.code {
            case .ok: "ok"
            case .error: "error"
            case nil: "unset"
            }
        let kindName: String =
            switch kind {
            case .client: "client"
            case .server: "server"
            case .producer: "producer"
            case .consumer: "consumer"
            default: "internal"
            }
        recorder.record(
            RecordedSpan(
                name: finished.operationName, kind: kindName, traceID: traceContext.traceID,
                spanID: traceContext.spanID, parentSpanID: parentSpanID, startTime: startTime,
                endTime: instant().nanosecondsSinceEpoch, attributes: RecordedSpan.values(finished.attributes),
                events: finished.events, status: status, statusMessage: finished.status?.message))
    }
}
