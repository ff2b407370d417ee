import Foundation
import Logging
import Secretsmith
import Synchronization

enum LogSetup {
    private static let bootstrapped = Mutex(false)

    /// Bootstraps swift-log once for the process, on standard error, in the chosen format
    /// and level, and returns the CLI's logger.
    static func bootstrap(_ options: GlobalOptions) -> Logger {
        let level = options.logLevel
        let format = options.logFormat
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            // The metadata provider adds `trace_id`/`span_id` of the current span, if any.
            LoggingSystem.bootstrap(
                { label, provider in
                    var handler: any LogHandler =
                        switch format {
                        case .text: StreamLogHandler.standardError(label: label, metadataProvider: provider)
                        case .json: JSONLogHandler(label: label, metadataProvider: provider)
                        }
                    handler.logLevel = level
                    return handler
                }, metadataProvider: SecretsmithSpans.loggingMetadataProvider)
        }
        var logger = Logger(label: "secretsmith")
        logger.logLevel = level
        return logger
    }
}
