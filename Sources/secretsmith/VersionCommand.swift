import ArgumentParser
import Secretsmith

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print secretsmith's version.")

    func run() {
        print("secretsmith \(SecretsmithVersion.current)")
    }
}
