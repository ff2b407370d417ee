import Foundation
import Glibc
@testable import Secretsmith
import Testing

/// `atomic_dir: true`: outputs of one directory switched as one unit through `..data`.
@Suite("Atomic file writer: ..data directories")
struct DataDirectoryTests {
    let writer = AtomicFileWriter(registry: StagedFileRegistry())
    let options = WriteOptions(mode: 0o640, atomicDirectory: true)

    func link(_ path: String) -> String? {
        if case .success(let target) = FileSystemCalls.readLink(path) { return target }
        return nil
    }

    func write(_ directory: String, _ files: [String: String]) throws -> [OutputWriteResult] {
        try writer.write(files.sorted { $0.key < $1.key }.map { (path: directory + "/" + $0.key, bytes: Array($0.value.utf8), options: options) })
    }

    @Test("files are links through ..data to a timestamped directory; an unchanged group is not touched")
    func layoutAndUnchanged() throws {
        let root = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(root) }
        let directory = root + "/app"
        let first = try write(directory, ["a.env": "A=1\n", "b.key": "key-1\n"])
        #expect(first.map(\.status) == [.written, .written])
        #expect(first.map(\.path) == [directory + "/a.env", directory + "/b.key"])
        let data = try #require(link(directory + "/..data"))
        #expect(DataDirectory.isTimestampName(data), "\(data)")
        #expect(link(directory + "/a.env") == "..data/a.env")
        #expect(link(directory + "/b.key") == "..data/b.key")
        #expect(try OutputTestSupport.readFile(directory + "/a.env") == Array("A=1\n".utf8))
        #expect(try AtomicFileWriterTests.mode(directory + "/\(data)/b.key") == 0o640)
        #expect(try AtomicFileWriterTests.mode(directory + "/\(data)") == 0o750)
        #expect(try OutputTestSupport.listDirectory(directory).sorted() == ["..data", data, "a.env", "b.key"].sorted())
        #expect(writer.registry.paths.isEmpty, "nothing stays registered after a commit")

        let inode = try AtomicFileWriterTests.status(directory + "/\(data)/a.env").st_ino
        let again = try write(directory, ["a.env": "A=1\n", "b.key": "key-1\n"])
        #expect(again.map(\.status) == [.unchanged, .unchanged])
        #expect(link(directory + "/..data") == data)
        #expect(try AtomicFileWriterTests.status(directory + "/\(data)/a.env").st_ino == inode)
    }

    @Test("a change switches the whole group to a new directory and removes the old one")
    func switchAsOneUnit() throws {
        let root = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(root) }
        let directory = root + "/app"
        _ = try write(directory, ["a.env": "A=1\n", "b.key": "key-1\n"])
        let old = try #require(link(directory + "/..data"))
        // A reader that opened the old file keeps reading the old content.
        let reader = open(directory + "/b.key", O_RDONLY)
        defer { close(reader) }
        let results = try write(directory, ["a.env": "A=1\n", "b.key": "key-2\n"])
        #expect(results.map(\.status) == [.unchanged, .written])
        let new = try #require(link(directory + "/..data"))
        #expect(new != old)
        #expect(!FileManager.default.fileExists(atPath: directory + "/" + old), "the old directory is removed")
        #expect(try OutputTestSupport.readFile(directory + "/b.key") == Array("key-2\n".utf8))
        #expect(try OutputTestSupport.readFile(directory + "/a.env") == Array("A=1\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(reader, &buffer, 16) == 6 && Array(buffer[..<6]) == Array("key-1\n".utf8))
        #expect(try OutputTestSupport.listDirectory(directory).sorted() == ["..data", new, "a.env", "b.key"].sorted())
    }

    @Test("writing part of a group keeps the other files; a plain file becomes a link")
    func partialAndMigration() throws {
        let root = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(root) }
        let directory = root + "/app"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try OutputTestSupport.writeFile(directory + "/a.env", Array("plain\n".utf8))
        _ = try write(directory, ["a.env": "A=1\n", "b.key": "key-1\n"])
        #expect(link(directory + "/a.env") == "..data/a.env")
        _ = try write(directory, ["a.env": "A=2\n"])
        #expect(try OutputTestSupport.readFile(directory + "/a.env") == Array("A=2\n".utf8))
        #expect(try OutputTestSupport.readFile(directory + "/b.key") == Array("key-1\n".utf8))
    }

    @Test("one directory spelled two ways (through a link) is one group with one ..data")
    func oneGroupPerRealDirectory() throws {
        let root = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(root) }
        try FileManager.default.createDirectory(atPath: root + "/app", withIntermediateDirectories: true)
        #expect(symlink("app", root + "/alias") == 0)
        _ = try writer.write([
            (path: root + "/app/a.env", bytes: [1], options: options),
            (path: root + "/alias/./b.env", bytes: [2], options: options),
        ])
        let entries = try OutputTestSupport.listDirectory(root + "/app").sorted()
        #expect(entries.filter { DataDirectory.isTimestampName($0) }.count == 1, "\(entries)")
        #expect(try OutputTestSupport.readFile(root + "/app/b.env") == [2])
    }

    @Test("a failure anywhere leaves every group and plain output as it was, with nothing staged left")
    func allOrNothing() throws {
        let root = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(root) }
        let directory = root + "/app"
        _ = try write(directory, ["a.env": "A=1\n"])
        let data = try #require(link(directory + "/..data"))
        #expect(symlink("/etc/passwd", directory + "/c.env") == 0)
        try OutputTestSupport.writeFile(root + "/plain.env", Array("old".utf8))
        #expect(throws: OutputWriteError.self) {
            _ = try writer.write([
                (path: root + "/plain.env", bytes: Array("new".utf8), options: WriteOptions()),
                (path: directory + "/a.env", bytes: Array("A=2\n".utf8), options: options),
                (path: root + "/new/deeper/x.env", bytes: [1], options: options),
                (path: directory + "/c.env", bytes: [1], options: options),
            ])
        }
        #expect(link(directory + "/..data") == data)
        #expect(try OutputTestSupport.readFile(directory + "/a.env") == Array("A=1\n".utf8))
        #expect(try OutputTestSupport.readFile(root + "/plain.env") == Array("old".utf8))
        #expect(try OutputTestSupport.listDirectory(directory).sorted() == ["..data", data, "a.env", "c.env"].sorted())
        #expect(try OutputTestSupport.listDirectory(root).sorted() == ["app", "plain.env"])
        #expect(writer.registry.paths.isEmpty)
    }

    @Test("timestamped directories left by a killed run are removed; the signal cleanup removes a staged one")
    func staleAndCleanup() throws {
        let root = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(root) }
        let directory = root + "/app"
        _ = try write(directory, ["a.env": "A=1\n"])
        let stale = directory + "/..2001_09_09_01_46_40.000000000"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try OutputTestSupport.writeFile(stale + "/a.env", Array("A=0\n".utf8))
        try AtomicFileWriterTests.ageFile(stale)
        let cutoff = timespec(tv_sec: time(nil) + 60, tv_nsec: 0)
        let recovering = AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: cutoff)
        let written = try recovering.writeCounting([(path: directory + "/a.env", bytes: Array("A=1\n".utf8), options: options)])
        #expect(written.staleTemporaryFilesRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(written.results.map(\.status) == [.unchanged])

        let registry = StagedFileRegistry()
        let staging = AtomicFileWriter(registry: registry)
        let group = try DataDirectory.stage(
            [(0, DataDirectory.Member(path: directory + "/a.env", name: "a.env", bytes: [9], options: options, owner: nil, group: nil))],
            in: directory, writer: staging)
        let staged = try #require(group.newDirectory)
        #expect(FileManager.default.fileExists(atPath: staged))
        #expect(registry.paths.count == 2, "the directory and the file in it")
        #expect(registry.removeAll(closing: true) == 2)
        #expect(!FileManager.default.fileExists(atPath: staged))
        #expect(try OutputTestSupport.readFile(directory + "/a.env") == Array("A=1\n".utf8))
    }

    @Test("the configuration key atomic_dir sets the option and refuses follow_symlinks beside it")
    func configuration() throws {
        func parse(_ extra: String) throws -> Configuration {
            let text = """
                version: 1
                environments:
                  dev:
                    projects:
                      app: { project_id: acme-app-dev, secrets: { a: {} } }
                outputs:
                  - { name: a, format: dotenv, path: out/a.env, values: { A: app/a }\(extra) }
                """
            return try Configuration.parse(Array(text.utf8), file: "/w/secretsmith.yaml", environment: [:])
        }
        #expect(try parse(", atomic_dir: true").outputs[0].atomicDirectory)
        #expect(try !parse("").outputs[0].atomicDirectory)
        #expect(throws: ConfigurationError.self) { _ = try parse(", atomic_dir: true, follow_symlinks: true") }
    }
}
