import ArgumentParser
import Foundation
import Secretsmith

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print one secret's payload to standard output, byte for byte.",
        discussion: "The payload is written exactly as stored, without an added newline.")

    @Argument(help: "A reference: ENV/PROJECT/SECRET[@VERSION][#POINTER], or PROJECT/SECRET[...] with --env.")
    var reference: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await CommandContext.with(global) { context in
            let manager = context.manager
            let reference = self.reference
            let active = context.activeEnvironment
            let value = try await withDeadline(context.deadline) {
                if let active {
                    return try await manager.withEnvironment(active) {
                        try await manager.accessSecretVersion(reference)
                    }
                }
                return try await manager.accessSecretVersion(reference)
            }
                try StandardOutput.write(value.bytes)
        }
    }
}
