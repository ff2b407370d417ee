import Foundation
import Logging
import Secretsmith
import ServiceLifecycle
import Synchronization

/// Where `secretsmith serve` writes its audit events: one `request` event per request.
///
/// Either through a swift-log `Logger` (tests, embedders), or rendered directly into a
/// buffer for standard error (the CLI): the same line a swift-log handler would print
/// (`StreamLogHandler`'s text, or ``JSONLogHandler``'s JSON), without the per-request
/// metadata dictionary, sorting and time-zone look-up. The buffer is written when it holds
/// 64 KiB, at least every second (``AuditFlushService``), and on ``flush()`` at shutdown, so
/// every request's event is written, at most a second late.
package final class AuditLog: Sendable {
    /// The line format of the buffered writer.
    package enum Format: Sendable {
        /// swift-log's `StreamLogHandler` line: `TIMESTAMP info LABEL: key=value ... [SecretsmithServer] request`.
        case text
        /// ``JSONLogHandler``'s object: `{"label", "level", "message", "metadata", "timestamp"}`.
        case json
    }

    /// The logger label of the audit events.
    package static let label = "secretsmith.serve.audit"

    private let logger: Logger?
    private let buffer: BufferedLines?

    /// Audit events through `logger` (at `info`, message `request`).
    package init(logger: Logger) {
        self.logger = logger
        self.buffer = nil
    }

    /// Audit events rendered in `format` and written by `output` in chunks (standard error
    /// by default; one `write(2)` per chunk).
    package init(format: Format, output: @escaping @Sendable ([UInt8]) -> Void = AuditLog.standardError) {
        self.logger = nil
        self.buffer = BufferedLines(format: format, output: output)
    }

    /// One request's event.
    ///
    /// - Parameters:
    ///   - fields: what the request's ``AuditRecord`` says.
    ///   - method: the HTTP method.
    ///   - status: the HTTP status answered.
    ///   - duration: the time to answer.
    func record(_ fields: AuditRecord.Fields, method: String, status: Int, duration: Duration) {
        let milliseconds =
            Double(duration.components.attoseconds / 1_000_000_000_000) / 1000 + Double(duration.components.seconds) * 1000
        if let buffer {
            buffer.append(fields, method: method, status: status, milliseconds: milliseconds)
            return
        }
        guard let logger else { return }
        var metadata: Logger.Metadata = [
            "route": "\(fields.route)", "http.method": "\(method)", "http.status": "\(status)",
            "duration_ms": "\(milliseconds)",
        ]
        if let principal = fields.principal { metadata["principal"] = "\(principal)" }
        if let resource = fields.resource { metadata["resource"] = "\(resource)" }
        if let reference = fields.reference { metadata["secret.ref"] = "\(reference)" }
        if let version = fields.version { metadata["secret.version"] = "\(version)" }
        if let cache = fields.cache { metadata["cache"] = "\(cache)" }
        if let refusal = fields.refusal { metadata["refusal"] = "\(refusal)" }
        logger.info("request", metadata: metadata)
    }

    /// Writes what the buffer holds (nothing to do for a `Logger`).
    package func flush() {
        buffer?.flush()
    }

    /// Writes bytes to standard error, all of them (retrying short writes).
    package static let standardError: @Sendable ([UInt8]) -> Void = { bytes in
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}

/// Flushes an ``AuditLog`` every second until the service group shuts down, then once more.
package struct AuditFlushService: Service {
    package let log: AuditLog

    package init(log: AuditLog) {
        self.log = log
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            log.flush()
        }
        log.flush()
    }
}

/// The rendered lines not yet written, behind a lock (appends and writes keep their order).
private final class BufferedLines: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        /// The second the stamps below are for.
        var second: Int = -1
        /// `2026-01-02T03:04:05+0000` (text: local time, as `StreamLogHandler` writes it).
        var textStamp: [UInt8] = []
        /// `2026-01-02T03:04:05.` (JSON: UTC; milliseconds and `Z` follow).
        var jsonStamp: [UInt8] = []
    }

    private let format: AuditLog.Format
    private let output: @Sendable ([UInt8]) -> Void
    private let state = Mutex(State())
    private static let flushThreshold = 1 << 16
    private static let textLevelAndLabel = Array(" info \(AuditLog.label):".utf8)

    init(format: AuditLog.Format, output: @escaping @Sendable ([UInt8]) -> Void) {
        self.format = format
        self.output = output
        state.withLock { $0.bytes.reserveCapacity(Self.flushThreshold + 1024) }
    }

    func append(_ fields: AuditRecord.Fields, method: String, status: Int, milliseconds: Double) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let second = Int(now.tv_sec)
        let millisecond = Int(now.tv_nsec / 1_000_000)
        state.withLock { state in
            if state.second != second { Self.stamp(&state, second: second) }
            switch format {
            case .text: appendText(&state, fields, method: method, status: status, milliseconds: milliseconds)
            case .json:
                appendJSON(&state, fields, method: method, status: status, milliseconds: milliseconds, millisecond: millisecond)
            }
            if state.bytes.count >= Self.flushThreshold {
                output(state.bytes)
                state.bytes.removeAll(keepingCapacity: true)
            }
        }
    }

    func flush() {
        state.withLock { state in
            guard !state.bytes.isEmpty else { return }
            output(state.bytes)
            state.bytes.removeAll(keepingCapacity: true)
        }
    }

    /// The record's metadata, sorted by key as swift-log's handlers write it; `nil` values
    /// are left out by the writers. One list for the text and the JSON line.
    private static func forEachField(
        _ fields: AuditRecord.Fields, method: String, status: Int, milliseconds: Double,
        _ body: (StaticString, String?) -> Void
    ) {
        body("cache", fields.cache)
        body("duration_ms", String(milliseconds))
        body("http.method", method)
        body("http.status", String(status))
        body("principal", fields.principal)
        body("refusal", fields.refusal)
        body("resource", fields.resource)
        body("route", fields.route)
        body("secret.ref", fields.reference)
        body("secret.version", fields.version)
    }

    /// The metadata in swift-log's order for the text line (sorted by key).
    private func appendText(
        _ state: inout State, _ fields: AuditRecord.Fields, method: String, status: Int, milliseconds: Double
    ) {
        state.bytes.append(contentsOf: state.textStamp)
        state.bytes.append(contentsOf: Self.textLevelAndLabel)
        func pair(_ key: StaticString, _ value: String?) {
            guard let value else { return }
            state.bytes.append(UInt8(ascii: " "))
            state.bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            state.bytes.append(UInt8(ascii: "="))
            state.bytes.append(contentsOf: value.utf8)
        }
        Self.forEachField(fields, method: method, status: status, milliseconds: milliseconds, pair)
        state.bytes.append(contentsOf: " [SecretsmithServer] request\n".utf8)
    }

    /// ``JSONLogHandler``'s object, keys sorted at every level.
    private func appendJSON(
        _ state: inout State, _ fields: AuditRecord.Fields, method: String, status: Int, milliseconds: Double,
        millisecond: Int
    ) {
        var line = "{\"label\":\"\(AuditLog.label)\",\"level\":\"info\",\"message\":\"request\",\"metadata\":{"
        var first = true
        func pair(_ key: StaticString, _ value: String?) {
            guard let value else { return }
            if !first { line += "," }
            first = false
            line += "\"\(key)\":"
            JSONText.appendString(value, to: &line)
        }
        Self.forEachField(fields, method: method, status: status, milliseconds: milliseconds, pair)
        line += "},\"timestamp\":\""
        state.bytes.append(contentsOf: line.utf8)
        state.bytes.append(contentsOf: state.jsonStamp)
        state.bytes.append(UInt8(ascii: "0") + UInt8(millisecond / 100))
        state.bytes.append(UInt8(ascii: "0") + UInt8(millisecond / 10 % 10))
        state.bytes.append(UInt8(ascii: "0") + UInt8(millisecond % 10))
        state.bytes.append(contentsOf: "Z\"}\n".utf8)
    }

    /// The per-second parts of the timestamps, made once a second.
    private static func stamp(_ state: inout State, second: Int) {
        state.second = second
        var seconds = time_t(second)
        var local = tm()
        var buffer = [CChar](repeating: 0, count: 64)
        if localtime_r(&seconds, &local) != nil {
            let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            state.textStamp = buffer.prefix(count).map { UInt8(bitPattern: $0) }
        } else {
            state.textStamp = Array("<unknown>".utf8)
        }
        var utc = tm()
        gmtime_r(&seconds, &utc)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S.", &utc)
        state.jsonStamp = buffer.prefix(count).map { UInt8(bitPattern: $0) }
    }
}
