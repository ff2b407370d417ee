import InMemoryLogging
import Logging

/// A logger at `trace` level whose lines swift-log's `InMemoryLogHandler` keeps, and those
/// lines as text (level, message and metadata), for leak checks.
struct LogCapture: Sendable {
    let handler = InMemoryLogHandler()

    var text: String {
        handler.entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n")
    }

    var logger: Logger {
        var logger = Logger(label: "capture") { [handler] _ in handler }
        logger.logLevel = .trace
        return logger
    }
}
