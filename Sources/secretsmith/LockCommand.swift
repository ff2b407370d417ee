import ArgumentParser
import Foundation
import Secretsmith

struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Pin every reference of the outputs to the version number it names now, in secretsmith.lock.",
        discussion: """
            Resolves each distinct version the outputs read (latest, aliases and numbers) with \
            GetSecretVersion (metadata only) and writes secretsmith.lock next to the configuration: \
            JSON with the resource, the version number, the name Secret Manager answered and the \
            etag; never a value. Pins of other environments already in the file are kept. A \
            version that does not exist or is not ENABLED is an error and nothing is written. \
            render --frozen, exec --frozen and check --frozen read the pinned versions.
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        TerminationCleanup.install()
        try await CommandContext.with(global) { context in
            let outcome = try await context.pipeline.lock(context.options()) { error in
                FileHandle.standardError.write(
                    Data("secretsmith: warning: \(error.description) Writing a new one.\n".utf8))
            }
            for pin in outcome.pins {
                try StandardOutput.write("pinned \(pin.environment) \(pin.resource) -> version \(pin.version)\n")
            }
            let count = outcome.pinCount
            try StandardOutput.write(
                "\(outcome.changed ? "written" : "unchanged") \(DisplayPath.relative(outcome.path)) "
                    + "(\(count) pin\(count == 1 ? "" : "s"))\n")
        }
    }
}
