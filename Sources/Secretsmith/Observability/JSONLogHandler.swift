import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard error:
/// `{"timestamp": RFC 3339 UTC with milliseconds, "level", "label", "message", "metadata": {...}}`.
///
/// Metadata keys are kept as given (dotted, e.g. `secret.ref`). Messages are constant
/// strings by convention; data goes in metadata. Nothing here ever sees a secret value
/// because the library never logs one.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    private let output: @Sendable (String) -> Void

    /// - Parameters:
    ///   - label: the logger's label.
    ///   - output: receives each line, newline included; standard error by default.
    public init(label: String, output: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var object: [String: Any] = [
            "timestamp": Self.timestamp(),
            "level": event.level.rawValue,
            "label": label,
            "message": event.message.description,
        ]
        if !merged.isEmpty { object["metadata"] = merged.mapValues(Self.jsonValue) }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        output(String(decoding: data, as: UTF8.self) + "\n")
    }

    /// Writes a line to standard error with one `write(2)`, so lines from many tasks do
    /// not interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
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
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(broken.tm_year) + 1900, Int(broken.tm_mon) + 1,
            Int(broken.tm_mday), Int(broken.tm_hour), Int(broken.tm_min), Int(broken.tm_sec),
            Int(time.tv_nsec / 1_000_000))
    }
}
