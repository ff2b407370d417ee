import Foundation

/// A temporary directory for one test, removed when the value is released;
/// ``withWorkspace(_:)`` removes it when the test body returns or throws.
package final class Workspace {
    package let url: URL

    package init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("secretsmith-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { remove() }

    /// Removes the directory and everything below it (again on release: harmless).
    package func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    package func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    /// Writes a text file, creating parent directories.
    @discardableResult
    package func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    package func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target.path
    }

    package func read(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url.appendingPathComponent(relative)))
    }

    package func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path(relative))
    }

    /// The permission bits of a file, e.g. `0o600`.
    package func mode(_ relative: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path(relative))
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o7777
    }

    /// Every file below the workspace, relative paths, sorted.
    package func allFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
        return enumerator.compactMap { $0 as? String }
            .filter { var isDirectory: ObjCBool = false
                FileManager.default.fileExists(atPath: path($0), isDirectory: &isDirectory)
                return !isDirectory.boolValue
            }
            .sorted()
    }
}

/// Runs `body` with a new ``Workspace`` and removes it afterwards, also when `body` throws.
package func withWorkspace<Result>(_ body: (Workspace) async throws -> Result) async throws -> Result {
    try await withCleanup(try Workspace(), cleanup: { $0.remove() }, body)
}

/// ``withWorkspace(_:)-async`` for synchronous bodies (tests that run processes).
package func withWorkspace<Result>(_ body: (Workspace) throws -> Result) throws -> Result {
    try withCleanup(try Workspace(), cleanup: { $0.remove() }, body)
}
