import Foundation

/// Where the built `secretsmith` binary and the package are, for tests that run it.
package enum BuiltBinary {
    /// The package root (this file is Tests/SecretsmithTestSupport/BuiltBinary.swift).
    package static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built binary: `$SECRETSMITH_BIN`, else `secretsmith` next to the test bundle.
    package static let secretsmith: String = {
        if let path = ProcessInfo.processInfo.environment["SECRETSMITH_BIN"], !path.isEmpty { return path }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On Linux the test bundle is `.build/<triple>/debug/<name>.xctest` (an executable).
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("secretsmith").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/secretsmith").path
    }()
}
