import ArgumentParser
import Foundation
import Secretsmith

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify everything a render would read, without reading or writing any value.",
        discussion: """
            Parses the configuration and every template (all their errors, not only the first), \
            resolves every reference of the selected outputs, and asks Secret Manager for each \
            version's metadata (exists, ENABLED) with GetSecretVersion, which needs only \
            secretmanager.versions.get. --access also reads the payloads (checksums verified) and \
            renders every output in memory; nothing is printed or written. --frozen checks the \
            versions pinned in secretsmith.lock and warns about drift. Every problem is reported \
            (file:line:column, output, reference, what is wrong); the exit code is the most severe \
            error's, 0 when there is none (warnings do not count).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Check only the output with this name (repeatable).")
    var only: [String] = []

    @Flag(name: .long, help: "Also read every payload and verify its checksum (needs secretmanager.versions.access).")
    var access = false

    @Flag(name: .long, help: "Check the versions pinned in secretsmith.lock and report drift.")
    var frozen = false

    @Option(name: .long, help: "Report format: text or json.")
    var format: ReportFormat = .text

    func run() async throws {
        var report: CheckReport
        do {
            report = try await CommandContext.with(global) { context in
                await context.pipeline.check(context.options(only: only, frozen: frozen), access: access)
            }
        } catch let error as ConfigurationError {
            // The configuration itself did not load: a report with its problems.
            report = CheckReport(
                problems: error.all.map { CheckProblem(RenderProblem(site: nil, reference: nil, error: $0)) },
                versions: [],
                outputs: 0, access: access, frozen: frozen)
        }
        // Paths as render prints them: relative to the working directory when below it.
        report.problems = report.problems.map(DisplayPath.shown)
        switch format {
            case .text: try StandardOutput.write(report.text)
            case .json: try StandardOutput.write(report.json)
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
