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
}
