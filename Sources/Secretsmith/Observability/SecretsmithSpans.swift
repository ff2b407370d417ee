import Foundation
import Logging
import Tracing

/// The spans secretsmith starts, their names and attribute keys, and helpers shared by the
/// library and the CLI. Attribute names follow OpenTelemetry's semantic conventions where
/// they define one (`http.request.method`, `server.address`, `url.full`,
/// `http.response.status_code`, `error.type`, `file.path`, `process.exit.code`,
/// `cloud.provider`, `cloud.account.id`); secretsmith's own live under `secretsmith.`.
/// No attribute ever holds a secret value or a token.
package enum SecretsmithSpans {
    /// The whole process run: `secretsmith render`, `secretsmith get`, ... (the run span;
    /// its parent is `TRACEPARENT` when set).
    package static func run(command: String) -> String { "secretsmith \(command)" }
    /// Reading and resolving `secretsmith.yaml`.
    package static let configLoad = "secretsmith.config.load"
    /// Fetching, rendering and writing the selected outputs (the parent of every fetch).
    package static let render = "secretsmith.render"
    /// Rendering one output in memory (template or `values:`).
    package static let renderOutput = "secretsmith.output.render"
    /// Writing the rendered outputs atomically.
    package static let writeOutputs = "secretsmith.outputs.write"
    /// One access of a secret version through cache, breaker and retries; each upstream
    /// attempt is a `secretsmith.attempt` event, each HTTP request a child `GET` span.
    package static let access = "secretsmith.secret.access"
    /// Reading a version's metadata (no payload).
    package static let metadata = "secretsmith.secret.metadata"
    /// One exchange of credentials for an access token.
    package static let tokenExchange = "secretsmith.token.exchange"

    /// The event added to an access span for each upstream attempt.
    package static let attemptEvent = "secretsmith.attempt"

    /// Whether a tracer other than the no-op one is in force for the current task (one
    /// bootstrapped, or one bound by `withTracer`). Access spans are started only then: with
    /// the no-op tracer a span's set-up (the tracer's look-up, the attribute dictionary)
    /// would cost more than a cache hit itself.
    /// The no-op instruments are told by their type (two metadata comparisons, where `is`
    /// casts ask the runtime on every access).
    package static var tracingActive: Bool {
        let type = Swift.type(of: InstrumentationSystem.instrument)
        return !(type == NoOpInstrument.self || type == NoOpTracer.self)
    }

    /// A short, bounded name for an error: its ``SecretsmithError/shortDescription`` (the
    /// Secret Manager code `NOT_FOUND`, `UNAVAILABLE`, `CIRCUIT_OPEN`, ..., `AUTHENTICATION`),
    /// `CANCELLED`, or the Swift type name. For `error.type` attributes and metric labels.
    package static func errorType(_ error: any Error) -> String {
        shortDescription(of: error)
    }

    /// Runs `body` inside the run span `secretsmith COMMAND`, whose parent is the W3C
    /// context in `TRACEPARENT`/`TRACESTATE` when they hold one (OpenTelemetry's
    /// environment-variable carrier), else the current context.
    ///
    /// - Throws: what `body` throws (recorded on the span).
    package static func withRunSpan<Result>(
        command: String, environment: [String: String], _ body: (any Span) async throws -> Result
    ) async throws -> Result {
        var parent = ServiceContext.current ?? .topLevel
        if let remote = W3CTraceContext.fromEnvironment(environment) {
            parent.w3cTraceContext = remote
        }
        return try await withSpan(run(command: command), context: parent, ofKind: .internal) { span in
            span.attributes["secretsmith.command"] = command
            span.attributes["process.pid"] = Int64(ProcessInfo.processInfo.processIdentifier)
            span.attributes["process.executable.name"] = "secretsmith"
            span.attributes["service.version"] = SecretsmithVersion.current
            return try await body(span)
        }
    }

    /// Adds `trace_id` and `span_id` of the current span to every log event, so log lines
    /// and spans of one run can be joined. Empty outside a span or with another tracer.
    package static let loggingMetadataProvider = Logger.MetadataProvider {
        guard let trace = ServiceContext.current?.w3cTraceContext else { return [:] }
        return ["trace_id": .string(trace.traceID), "span_id": .string(trace.spanID)]
    }

    /// Standard attributes of a span about one secret version: environment, project and
    /// the reference as written (never the value).
    static func describe(_ span: any Span, secret: SecretConfig, reference: String) {
        span.updateAttributes { attributes in
            attributes["secretsmith.secret.ref"] = reference
            attributes["secretsmith.environment"] = secret.environment
            attributes["cloud.provider"] = "gcp"
            attributes["cloud.account.id"] = secret.projectID
            attributes["gcp.project"] = secret.projectID
            attributes["secretsmith.secret.resource"] = secret.versionName
        }
    }
}
