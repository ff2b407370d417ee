import ArgumentParser
import Logging

/// Options every command that reads the configuration shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file (default: $SECRETSMITH_CONFIG, else ./secretsmith.yaml).")
    var config: String?

    @Option(name: .long, help: "The active environment for relative references (default: $SECRETSMITH_ENV).")
    var env: String?

    @Option(
        name: .long,
        help: "The longest the run may wait for Secret Manager, e.g. 30s (default: the `deadline:` setting, else none).")
    var timeout: String?

    @Option(name: .long, help: "Log format on standard error: text or json.")
    var logFormat: LogFormat = .text

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(
        name: .long,
        help: "At the end of the run, also on failure, write Prometheus metrics (text format) to this file atomically, for node_exporter's textfile collector.")
    var metricsFile: String?

    @Option(
        name: .long,
        help: "At the end of the run, append its trace spans to this file, one JSON object per line (TRACEPARENT parents the run).")
    var traceFile: String?

    func validate() throws {
        // The C library would cut a path at the NUL and use another file.
        for (flag, path) in [("--config", config), ("--metrics-file", metricsFile), ("--trace-file", traceFile)] {
            if let path, path.utf8.contains(0) {
                throw ValidationError("\(flag): a path must not contain a NUL byte.")
            }
        }
    }

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
