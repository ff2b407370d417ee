import ArgumentParser
@testable import SecretsmithCLI
import Testing

/// A NUL cannot reach argv from a shell, but a program building arguments can pass one;
/// the C library would cut the path there and use another file.
@Suite struct PathFlagTests {
    @Test(arguments: ["--config", "--metrics-file", "--trace-file"])
    func aNULInAPathFlagIsAUsageError(flag: String) {
        #expect(throws: (any Error).self) {
            _ = try GlobalOptions.parse([flag, "out/a\u{0}b"])
        }
        #expect(throws: Never.self) {
            _ = try GlobalOptions.parse([flag, "out/ab"])
        }
    }

    @Test func aNULInTheManifestPathIsAUsageError() {
        #expect(throws: (any Error).self) {
            _ = try RenderCommand.parse(["--manifest", "m\u{0}.json"])
        }
        #expect(throws: Never.self) {
            _ = try RenderCommand.parse(["--manifest", "m.json"])
        }
    }

    @Test func aStatsFormatThatIsNotOneNamesTheValidOnes() throws {
        for arguments in [["--stats", "yaml"], ["--stats=yaml"], ["--stats=JSON"]] {
            do {
                _ = try RenderCommand.parse(arguments)
                Issue.record("\(arguments) was accepted")
            } catch {
                let message = RenderCommand.message(for: error)
                #expect(message.contains("is not a --stats format: use --stats, --stats text or --stats json"), "\(message)")
                #expect(RenderCommand.exitCode(for: error) == .validationFailure)
            }
        }
        do {
            _ = try RenderCommand.parse(["extra"])
            Issue.record("a positional argument was accepted")
        } catch {
            #expect(RenderCommand.message(for: error).contains("Unexpected argument 'extra'"))
        }
        #expect(try RenderCommand.parse(["--stats", "json"]).stats == .json)
        #expect(try RenderCommand.parse(["--stats=json"]).stats == .json)
        #expect(try RenderCommand.parse(["--stats", "--dry-run"]).stats == .text)
        // ArgumentParser reads an empty attached value as none: the flag alone.
        #expect(try RenderCommand.parse(["--stats="]).stats == .text)
        #expect(try RenderCommand.parse(["--stats"]).stats == .text)
        #expect(try RenderCommand.parse([]).stats == nil)
    }
}
