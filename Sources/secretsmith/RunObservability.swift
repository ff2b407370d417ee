import ArgumentParser
import Foundation
import Metrics
import Prometheus
import Secretsmith
import Synchronization
import Tracing

/// Metrics and tracing for one CLI run: bootstraps swift-metrics with a Prometheus
/// registry when `--metrics-file` is given and swift-distributed-tracing with
/// ``W3CTracer`` when `--trace-file` is given or `TRACEPARENT` holds a parent; runs the
/// command inside the run span; at the end, also on failure, writes the metrics file
/// atomically and appends the finished spans to the trace file.
///
/// Both systems are bootstrapped once per process, before the HTTP client is made
/// (AsyncHTTPClient picks the tracer up when its configuration is created, and injects
/// `traceparent` into every request through it).
final class RunObservability: Sendable {
    let metricsFile: String?
    let traceFile: String?
    let registry: PrometheusCollectorRegistry?
    let recorder: SpanRecorder?
    private let finished = Mutex(false)
    /// Set when a file of the run clashes with the metrics or trace file: neither is written.
    private let suppressed = Mutex(false)
    private let started = ContinuousClock.now

    private static let current = Mutex<RunObservability?>(nil)

    /// The metrics only the CLI records (about the run itself), with their help text.
    static let runHelp: [String: String] = [
        "secretsmith_run_exit_code": "Exit code of the last run (0 success).",
        "secretsmith_run_duration_seconds": "Wall time of the last run, in seconds.",
        "secretsmith_run_timestamp_seconds": "When the last run ended, in seconds since the Unix epoch.",
    ]

    private init(metricsFile: String?, traceFile: String?, tracing: Bool) {
        self.metricsFile = metricsFile
        self.traceFile = traceFile
        if metricsFile != nil {
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            // Cache hits answer in microseconds, fetches in milliseconds to seconds.
            factory.defaultDurationHistogramBuckets = [
                .microseconds(100), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
            ]
            MetricsSystem.bootstrap(factory)
            self.registry = registry
        } else {
            self.registry = nil
        }
        self.recorder = traceFile != nil ? SpanRecorder() : nil
        if tracing {
            InstrumentationSystem.bootstrap(W3CTracer(recorder: recorder))
        }
    }

    /// Bootstraps metrics and tracing for this process (the first call only) and returns
    /// the run's observability.
    static func start(_ options: GlobalOptions, environment: [String: String]) -> RunObservability {
        current.withLock { current in
            if let current { return current }
            let tracing = options.traceFile != nil || W3CTraceContext.fromEnvironment(environment) != nil
            let created = RunObservability(metricsFile: options.metricsFile, traceFile: options.traceFile, tracing: tracing)
            current = created
            return created
        }
    }

    /// Runs a command inside the run span, then writes the metrics and trace files,
    /// whatever the outcome.
    ///
    /// - Throws: what `body` throws.
    func run<Result>(
        command: String, environment: [String: String], _ body: () async throws -> Result
    ) async throws -> Result {
        do {
            let result = try await SecretsmithSpans.withRunSpan(command: command, environment: environment) { span in
                do {
                    let result = try await body()
                    span.attributes["process.exit.code"] = 0
                    return result
                } catch {
                    span.attributes["process.exit.code"] = Int(Self.exitCode(for: error))
                    throw error
                }
            }
            finish(command: command, exitCode: 0)
            return result
        } catch {
            finish(command: command, exitCode: Self.exitCode(for: error))
            throw error
        }
    }

    /// Stops the metrics and trace files from being written by this run (their paths clash
    /// with a file the run reads or writes).
    func suppressFiles() {
        suppressed.withLock { $0 = true }
    }

    /// Writes what the run has so far, for a command about to replace the process
    /// (`exec`): the metrics with exit code 0 and the spans finished so far.
    static func flushBeforeExec(command: String) {
        current.withLock { $0 }?.finish(command: command, exitCode: 0)
    }

    /// The exit code a command's error ends the process with (see `SecretsmithCommand.exitCode(reporting:)`).
    static func exitCode(for error: any Error) -> Int32 {
        switch error {
        case let error as ExitCode: error.rawValue
        case let error as any SecretsmithError: error.kind.exitCode
        default: FailureKind.internalError.exitCode
        }
    }

    private func finish(command: String, exitCode: Int32) {
        let first = finished.withLock { done in
            defer { done = true }
            return !done
        }
        guard first, !suppressed.withLock({ $0 }) else { return }
        if let metricsFile, let registry {
            let labels = [("command", command)]
            Gauge(label: "secretsmith_run_exit_code", dimensions: labels).record(Int(exitCode))
            Gauge(label: "secretsmith_run_duration_seconds", dimensions: labels)
                .record((ContinuousClock.now - started).secondsDouble)
            Gauge(label: "secretsmith_run_timestamp_seconds", dimensions: labels)
                .record(Date().timeIntervalSince1970)
            writeMetricsFile(metricsFile, registry: registry)
        }
        if let traceFile, let recorder {
            let lines = recorder.drain().map(\.jsonLine).joined()
            if !Self.append(Array(lines.utf8), to: traceFile) {
                let reason = errno == ELOOP
                    ? "it is a symbolic link" : errno == EINVAL ? "it is not a regular file" : String(cString: strerror(errno))
                Self.warn("the trace file \(traceFile) could not be written: \(reason)")
            }
        }
    }

    /// Writes the metrics file now, without ending the run (a long-running command such as
    /// `watch` after each refresh); nothing when no `--metrics-file` was given or the
    /// run's files are suppressed.
    static func flushMetrics() {
        guard let observability = current.withLock({ $0 }), !observability.suppressed.withLock({ $0 }),
            let metricsFile = observability.metricsFile, let registry = observability.registry
        else { return }
        observability.writeMetricsFile(metricsFile, registry: registry)
    }

    private func writeMetricsFile(_ metricsFile: String, registry: PrometheusCollectorRegistry) {
        let text = Self.withHelp(registry.emitToString())
        do {
            _ = try AtomicFileWriter().write([
                (path: metricsFile, bytes: Array(text.utf8), options: WriteOptions(mode: 0o644, allowWorldReadable: true))
            ])
        } catch {
            Self.warn("the metrics file could not be written: \(error.description)")
        }
    }

    /// Adds a `# HELP` line before each `# TYPE` line of a metric secretsmith documents.
    static func withHelp(_ exposition: String) -> String {
        let help = SecretsmithMetrics.help.merging(runHelp) { $1 }.merging(WatchMetrics.help) { $1 }
        var lines: [Substring] = []
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE "), let name = line.split(separator: " ").dropFirst(2).first,
                let text = help[String(name)]
            {
                lines.append("# HELP \(name) \(text)")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Appends bytes with one `write(2)` on an `O_APPEND` descriptor (mode 0600 when
    /// created), so runs sharing a file do not interleave within a line. A symbolic link
    /// at the path is refused (`O_NOFOLLOW`), as the metrics file's writer refuses one, and
    /// so is anything but a regular file (`O_NONBLOCK`: a FIFO does not hang the run).
    static func append(_ bytes: [UInt8], to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o600)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        guard info.st_mode & S_IFMT == S_IFREG else {
            errno = EINVAL
            return false
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    private static func warn(_ message: String) {
        FileHandle.standardError.write(Data("secretsmith: warning: \(message)\n".utf8))
    }
}
