import Foundation
import SecretsmithTestSupport
import Testing

/// The built binary started without waiting, for tests that need its process id or send
/// it signals. Standard output and error go to files in the workspace.
final class BackgroundCommand {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(
        _ arguments: [String], in workspace: Workspace, environment: [String: String] = [:],
        executable: String = CommandRunner.binary
    ) throws {
        let name = UUID().uuidString
        stdoutPath = workspace.path("\(name).stdout")
        stderrPath = workspace.path("\(name).stderr")
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = workspace.url
        var env = ProcessInfo.processInfo.environment
        env["SECRET_MANAGER_EMULATOR_HOST"] = nil
        env["SECRETSMITH_ENV"] = nil
        env["SECRETSMITH_CONFIG"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the file to exist (the child says it is ready), at most 20 seconds.
    func waitFor(file path: String) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            if !process.isRunning { return FileManager.default.fileExists(atPath: path) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Waits for the exit and returns the status; checks stderr for leaked values.
    func wait(sourceLocation: SourceLocation = #_sourceLocation) -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        #expect(!stderr.contains(CommandRunner.sentinel), "a secret value leaked to stderr", sourceLocation: sourceLocation)
        return (process.terminationStatus, process.terminationReason, stderr)
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
