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
        try await reportingErrors {
            TerminationCleanup.install()
            try await CommandContext.with(global) { context in
                let plan = try RenderPlan.make(
                    configuration: context.configuration, environment: context.activeEnvironment, only: [])
                let locker = Locker(manager: context.manager)
                let pins = try await withDeadline(context.deadline) { try await locker.pins(for: plan) }
                let path = LockFile.path(for: context.configuration)
                var existing = LockFile(pins: [])
                do throws(LockFileError) {
                    if let loaded = try LockFile.load(path: path) { existing = loaded }
                } catch {
                    FileHandle.standardError.write(
                        Data("secretsmith: warning: \(error.description) Writing a new one.\n".utf8))
                }
                var environments = Set(plan.outputs.flatMap { $0.references.map(\.secret.environment) })
                if let active = context.activeEnvironment { environments.insert(active) }
                let lock = existing.replacing(environments: environments, with: pins)
                let changed = try lock.write(to: path)
                for pin in pins {
                    try StandardOutput.write("pinned \(pin.environment) \(pin.resource) -> version \(pin.version)\n")
                }
                let count = lock.pins.count
                try StandardOutput.write("\(changed ? "written" : "unchanged") \(DisplayPath.relative(path)) (\(count) pin\(count == 1 ? "" : "s"))\n")
            }
        }
    }
}
