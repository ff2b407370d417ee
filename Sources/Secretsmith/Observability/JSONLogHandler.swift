import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard error:
/// `{"timestamp": RFC 3339 UTC with milliseconds, "level", "label", "message", "metadata": {...}}`.
///
/// Metadata keys are kept as given (dotted, e.g. `secret.ref`). Messages are constant
/// strings by convention; data goes in metadata. Nothing here ever sees a secret value
/// because the library never logs one. Metadata is merged in swift-log's order: the
/// handler's, then the metadata provider's (e.g. `trace_id`/`span_id`), then the event's.
package struct JSONLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    package var logLevel: Logger.Level = .info
    package let label: String
    private let output: @Sendable (String) -> Void

    /// - Parameters:
    ///   - label: the logger's label.
    ///   - metadataProvider: adds contextual metadata to every event (swift-log 1.5+).
    ///   - output: receives each line, newline included; standard error by default.
    package init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        output: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.output = output
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var object: [String: Any] = [
            "timestamp": Self.timestamp(),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
        ]
        if !merged.isEmpty { object["metadata"] = merged.mapValues(Self.jsonValue) }
        output(JSONText.encode(object) + "\n")
    }

    /// Writes a line to standard error with one `write(2)`, so lines from many tasks do
    /// not interleave.
    package static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    private static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(jsonValue)
        case .dictionary(let dictionary): dictionary.mapValues(jsonValue)
        }
    }

    private static func timestamp() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var broken = tm()
        var seconds = time.tv_sec
        gmtime_r(&seconds, &broken)
        // Built by hand: String(format:) is slow on Linux and this runs for every line.
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(Int(broken.tm_year) + 1900, 4) + "-" + padded(Int(broken.tm_mon) + 1, 2) + "-"
            + padded(Int(broken.tm_mday), 2) + "T" + padded(Int(broken.tm_hour), 2) + ":"
            + padded(Int(broken.tm_min), 2) + ":" + padded(Int(broken.tm_sec), 2) + "."
            + padded(Int(time.tv_nsec / 1_000_000), 3) + "Z"
    }
}
