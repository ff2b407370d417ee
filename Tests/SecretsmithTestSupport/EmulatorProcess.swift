import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The emulator as a separate process (`secretsmith emulator`), on a free loopback port,
/// stopped when the value is released; ``withEmulatorProcess(seed:in:extraArguments:_:)``
/// stops it when the test body returns or throws.
package final class EmulatorProcess {
    package let process: Process
    package let port: Int
    package var host: String { "127.0.0.1:\(port)" }

    /// Starts `secretsmith emulator --port 0 --seed SEED` and waits for its port file.
    package init(seed: String, in workspace: Workspace, extraArguments: [String] = []) throws {
        let portFile = workspace.path("emulator-\(UUID().uuidString).port")
        process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltBinary.secretsmith)
        process.arguments = ["emulator", "--host", "127.0.0.1", "--port", "0", "--port-file", portFile, "--seed", seed]
            + extraArguments
        process.standardOutput = FileHandle.nullDevice
        let log = workspace.url.appendingPathComponent("emulator.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var port: Int?
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                port = value
                break
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        guard let port else {
            process.terminate()
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw EmulatorStartError(log: text)
        }
        self.port = port
    }

    deinit { stop() }

    /// Terminates the process and waits for it (again on release: harmless).
    package func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// The emulator's request counters (`GET /_emulator/stats`).
    package func stats() throws -> [String: Any] {
        try request("GET", "/_emulator/stats") as? [String: Any] ?? [:]
    }

    /// Sends an admin or API request and returns the decoded JSON answer.
    @discardableResult
    package func request(_ method: String, _ path: String, body: Any? = nil) throws -> Any? {
        var request = URLRequest(url: URL(string: "http://\(host)\(path)")!)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Data?
        nonisolated(unsafe) var failure: (any Error)?
        URLSession.shared.dataTask(with: request) { data, _, error in
            result = data
            failure = error
            semaphore.signal()
        }.resume()
        semaphore.wait()
        if let failure { throw failure }
        guard let result, !result.isEmpty else { return nil }
        return try JSONSerialization.jsonObject(with: result, options: [.fragmentsAllowed])
    }
}

package struct EmulatorStartError: Error, CustomStringConvertible {
    package var log: String
    package var description: String { "the emulator did not start:\n\(log)" }
}

/// Runs `body` with `secretsmith emulator --seed SEED` started in `workspace`, and stops the
/// process afterwards, also when `body` throws.
package func withEmulatorProcess<Result>(
    seed: String, in workspace: Workspace, extraArguments: [String] = [],
    _ body: (EmulatorProcess) async throws -> Result
) async throws -> Result {
    try await withCleanup(
        try EmulatorProcess(seed: seed, in: workspace, extraArguments: extraArguments), cleanup: { $0.stop() }, body)
}

/// ``withEmulatorProcess(seed:in:extraArguments:_:)-async`` for synchronous bodies.
package func withEmulatorProcess<Result>(
    seed: String, in workspace: Workspace, extraArguments: [String] = [], _ body: (EmulatorProcess) throws -> Result
) throws -> Result {
    try withCleanup(try EmulatorProcess(seed: seed, in: workspace, extraArguments: extraArguments), cleanup: { $0.stop() }, body)
}
