import Foundation
@testable import Secretsmith
import Testing

/// PATH lookup as execvp and shells do it.
@Suite struct CommandLocatorTests {
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("locate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func file(_ url: URL, _ name: String, mode: Int) throws -> String {
        let path = url.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func searchesPathInOrderSkippingFilesThatAreNotExecutable() throws {
        let first = try directory(), second = try directory()
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        _ = try file(first, "tool", mode: 0o644)
        let executable = try file(second, "tool", mode: 0o755)
        #expect(try CommandLocator.locate("tool", searchPath: "\(first.path):\(second.path)") == executable)
        #expect(try CommandLocator.locate("sh", searchPath: nil) == "/bin/sh", "the default search path")
    }

    @Test func reportsNotFoundAs127AndNotExecutableAs126() throws {
        let url = try directory()
        defer { try? FileManager.default.removeItem(at: url) }
        let plain = try file(url, "plain", mode: 0o644)
        let missing = #expect(throws: CommandLookupError.self) { try CommandLocator.locate("nope-\(UUID())", searchPath: url.path) }
        #expect(missing?.exitCode == 127)
        #expect(missing?.description.contains("command not found in PATH") == true)
        let denied = #expect(throws: CommandLookupError.self) { try CommandLocator.locate("plain", searchPath: url.path) }
        #expect(denied?.exitCode == 126)
        let direct = #expect(throws: CommandLookupError.self) { try CommandLocator.locate(plain, searchPath: nil) }
        #expect(direct?.exitCode == 126)
        let directory = #expect(throws: CommandLookupError.self) { try CommandLocator.locate(url.path, searchPath: nil) }
        #expect(directory?.exitCode == 126, "a directory is not executable")
        let slash = #expect(throws: CommandLookupError.self) { try CommandLocator.locate("./nope-\(UUID())", searchPath: nil) }
        #expect(slash?.exitCode == 127)
    }
}
