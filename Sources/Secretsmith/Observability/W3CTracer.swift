import Tracing

/// A small swift-distributed-tracing tracer that speaks W3C Trace Context and records
/// finished spans into a ``SpanRecorder``.
///
/// - Ids: 16-byte trace ids and 8-byte span ids from the system's random generator;
///   a span whose context holds a ``W3CTraceContext`` (a local span, or a remote parent
///   extracted from `TRACEPARENT`) continues that trace.
/// - Sampling: parent-based; a new trace is sampled, an unsampled remote parent makes
///   non-recording spans that still propagate.
/// - Propagation: ``inject(_:into:using:)`` writes `traceparent` (and `tracestate` when
///   the parent had one); AsyncHTTPClient calls it for every request when it is the
///   client's tracer. ``extract(_:into:using:)`` reads them back.
///
/// Bootstrap it once in `main` (`InstrumentationSystem.bootstrap(W3CTracer(recorder:))`)
/// or scope it with `withTracer(_:_:)` in tests. An OTLP exporter (swift-otel) can replace
/// it without touching the instrumented code.
public struct W3CTracer: Tracer {
    public typealias Span = W3CSpan

    /// Where finished spans go; nil propagates context without recording anything.
    public let recorder: SpanRecorder?

    public init(recorder: SpanRecorder?) {
        self.recorder = recorder
    }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> W3CSpan {
        let parentContext = context()
        let parent = parentContext.w3cTraceContext
        return W3CSpan(
            operationName: operationName, kind: kind, context: parentContext,
            traceContext: parent?.child() ?? .newTrace(), parentSpanID: parent?.spanID,
            startTime: instant().nanosecondsSinceEpoch, recorder: recorder)
    }

    public func forceFlush() {}

    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        guard let trace = context.w3cTraceContext else { return }
        injector.inject(trace.traceparent, forKey: "traceparent", into: &carrier)
        if let state = trace.traceState {
            injector.inject(state, forKey: "tracestate", into: &carrier)
        }
    }

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: "traceparent", from: carrier),
            let trace = W3CTraceContext(
                traceparent: value, traceState: extractor.extract(key: "tracestate", from: carrier))
        else { return }
        context.w3cTraceContext = trace
    }
}
