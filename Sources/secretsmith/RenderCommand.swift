import ArgumentParser
import Foundation
import Secretsmith

struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Resolve every reference of the selected outputs, then write them all or none.",
        discussion: """
            Every reference of every selected output is fetched and rendered in memory before the \
            first byte is written; on any failure nothing is written and existing files stay as they \
            were. Files whose content would not change are not rewritten.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Render only the output with this name (repeatable).")
    var only: [String] = []

    @Flag(name: .long, help: "Resolve and validate everything, print what would be written, write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the one selected output to standard output instead of writing it.")
    var stdout = false

    @Flag(name: .long, help: "Read exactly the versions pinned in secretsmith.lock; fail before any Secret Manager call if a reference is not pinned.")
    var frozen = false

    @Option(name: .long, help: "Also write a JSON manifest of what was done here (outputs, paths, modes, written or unchanged, versions; no values).")
    var manifest: String?

    /// `--stats [FORMAT]`, read as text and checked in ``validate()``: with a value type that
    /// refuses `yaml`, ArgumentParser would take `--stats=yaml` for a bare `--stats` (and
    /// `--stats yaml` for `--stats` and a stray argument) instead of refusing it.
    @Option(
        name: .customLong("stats"), defaultAsFlag: StatsFormat.text.rawValue, parsing: .next,
        help: ArgumentHelp(
            "At the end of the run, also on failure, print the manager's stats (counts, cache, retries, latency, breakers) to standard error: text (the default) or json.",
            valueName: "format"))
    var statsFormat: String? = nil

    /// The `--stats` format; `nil` without the flag.
    var stats: StatsFormat? { statsFormat.flatMap(StatsFormat.init(rawValue:)) }

    func validate() throws {
        if let statsFormat, StatsFormat(rawValue: statsFormat) == nil {
            throw ValidationError("'\(statsFormat)' is not a --stats format: use --stats, --stats text or --stats json.")
        }
        if dryRun && stdout {
            throw ValidationError("--dry-run and --stdout cannot be used together.")
        }
        if let manifest, FilePaths.containsNUL(manifest) {
            throw ValidationError("--manifest: a path must not contain a NUL byte.")
        }
        if manifest != nil && (dryRun || stdout) {
            throw ValidationError("--manifest records files written, so it cannot be used with --dry-run or --stdout.")
        }
    }

    func run() async throws {
        TerminationCleanup.install()
        try await CommandContext.with(global, alsoWrites: [("--manifest", manifest)]) { context in
            try await StatsReport.printing(stats, of: context.manager) {
                let destination: RenderPipeline.Destination = stdout ? .memory : dryRun ? .dryRun : .files
                let outcome = try await context.pipeline.run(
                    context.options(only: only, frozen: frozen, destination: destination, manifestPath: manifest)
                ) { plan in
                    if stdout && plan.outputs.count != 1 {
                        throw UsageError(
                            "--stdout needs exactly one output, but \(plan.outputs.count) are selected; choose one with --only.")
                    }
                }
                if stdout {
                    try StandardOutput.write(outcome.rendered[0].bytes)
                    return
                }
                for report in outcome.reports {
                    var shown = report
                    shown.path = DisplayPath.relative(report.path)
                    try StandardOutput.write(shown.summary(dryRun: dryRun) + "\n")
                }
            }
        }
    }
}

/// A command line that is valid syntax but cannot be carried out (exit 64).
struct UsageError: SecretsmithError {
    var message: String
    init(_ message: String) { self.message = message }
    var kind: FailureKind { .usage }
    var description: String { message }
}
