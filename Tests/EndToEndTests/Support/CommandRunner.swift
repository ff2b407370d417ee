import Foundation
import SecretsmithTestSupport
import Testing

/// Runs the built `secretsmith` binary the way a user does.
enum CommandRunner {
    /// The marker every fixture secret contains; it must never appear in stderr.
    static let sentinel = StandardSeed.sentinel

    /// The package root.
    static let packageRoot: URL = BuiltBinary.packageRoot

    /// The built binary: `$SECRETSMITH_BIN`, else `secretsmith` next to the test bundle.
    static let binary: String = BuiltBinary.secretsmith

    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `secretsmith ARGS` and checks that stderr holds no secret value.
    ///
    /// - Parameters:
    ///   - stdoutMayHoldValues: true for `get` and `--stdout`, whose purpose is to print one.
    ///   - umask: run under this umask (through `sh -c 'umask N; exec ...'`).
    @discardableResult
    static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:],
        umask: String? = nil, stdoutMayHoldValues: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        var processArguments = [binary] + arguments
        if let umask {
            processArguments = ["/bin/sh", "-c", "umask \(umask); exec \"$@\"", "sh"] + processArguments
        }
        let result = try execute(processArguments, in: directory, environment: environment)
        #expect(
            !result.stderr.contains(sentinel), "a secret value leaked to stderr: \(arguments)",
            sourceLocation: sourceLocation)
        if !stdoutMayHoldValues {
            #expect(
                !result.stdoutText.contains(sentinel), "a secret value leaked to stdout: \(arguments)",
                sourceLocation: sourceLocation)
        }
        for marker in credentialMarkers {
            #expect(
                !result.stderr.contains(marker), "credential material (\(marker)) leaked to stderr: \(arguments)",
                sourceLocation: sourceLocation)
            if !stdoutMayHoldValues {
                #expect(
                    !result.stdoutText.contains(marker), "credential material (\(marker)) leaked to stdout: \(arguments)",
                    sourceLocation: sourceLocation)
            }
        }
        return result
    }

    /// Markers of credentials that must never reach stderr or stdout: PEM key headers,
    /// access tokens (`ya29.` starts Google's and the emulator's), and JWT assertions
    /// (`eyJ` starts every base64url-encoded JSON object, so every JWT).
    static let credentialMarkers = ["-----BEGIN", "PRIVATE KEY", "ya29.", "eyJ"]

    /// Runs any program and collects its output.
    static func execute(_ arguments: [String], in directory: URL, environment: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["SECRET_MANAGER_EMULATOR_HOST"] = nil
        env["SECRETSMITH_ENV"] = nil
        env["SECRETSMITH_CONFIG"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a full pipe cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var stdoutData = Data()
        group.enter()
        DispatchQueue.global().async {
            stdoutData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: [UInt8](stdoutData),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
