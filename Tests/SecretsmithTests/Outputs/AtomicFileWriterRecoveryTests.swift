import Foundation
import Glibc
@testable import Secretsmith
import Testing

/// What a writer cleans up after runs that did not finish: stale temporary files of a
/// killed run, and directories of a failed write phase.
@Suite("Atomic file writer: recovery")
struct AtomicFileWriterRecoveryTests {
    @Test("stale temporary files of this run's destinations are removed and counted; others are kept")
    func staleTemporaryFiles() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let staleA = directory + "/.app.env.secretsmith-0123456789abcdef.tmp"
        let staleB = directory + "/.app.env.secretsmith-fedcba9876543210.tmp"
        let fresh = directory + "/.app.env.secretsmith-00000000000000ff.tmp"
        let otherOutput = directory + "/.other.env.secretsmith-0123456789abcdef.tmp"
        let notOurs = directory + "/.app.env.secretsmith-xyz.tmp"
        for path in [staleA, staleB, fresh, otherOutput, notOurs] {
            try OutputTestSupport.writeFile(path, Array("left by a killed run".utf8))
        }
        for path in [staleA, staleB, otherOutput, notOurs] { try AtomicFileWriterTests.ageFile(path) }
        let now = timespec(tv_sec: time(nil) - 60, tv_nsec: 0)
        let writer = AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: now)
        let written = try writer.writeCounting([(path: directory + "/app.env", bytes: [1], options: WriteOptions())])
        #expect(written.staleTemporaryFilesRemoved == 2)
        #expect(try OutputTestSupport.listDirectory(directory).sorted() == [
            ".app.env.secretsmith-00000000000000ff.tmp", ".app.env.secretsmith-xyz.tmp",
            ".other.env.secretsmith-0123456789abcdef.tmp", "app.env",
        ].sorted())
        // Also when the destination is unchanged.
        try OutputTestSupport.writeFile(staleA, [9])
        try AtomicFileWriterTests.ageFile(staleA)
        let again = try writer.writeCounting([(path: directory + "/app.env", bytes: [1], options: WriteOptions())])
        #expect(again.results.map(\.status) == [.unchanged])
        #expect(again.staleTemporaryFilesRemoved == 1)
        // A writer without a cutoff removes nothing.
        try OutputTestSupport.writeFile(staleA, [9])
        try AtomicFileWriterTests.ageFile(staleA)
        let none = try AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: nil)
            .writeCounting([(path: directory + "/app.env", bytes: [2], options: WriteOptions())])
        #expect(none.staleTemporaryFilesRemoved == 0)
        #expect(FileManager.default.fileExists(atPath: staleA))
    }

    @Test("the temporary name pattern is exactly the writer's own")
    func temporaryNames() {
        #expect(AtomicFileWriter.isTemporaryName(".a.secretsmith-0123456789abcdef.tmp", for: "a"))
        #expect(!AtomicFileWriter.isTemporaryName(".a.secretsmith-0123456789ABCDEF.tmp", for: "a"))
        #expect(!AtomicFileWriter.isTemporaryName(".a.secretsmith-0123456789abcde.tmp", for: "a"))
        #expect(!AtomicFileWriter.isTemporaryName(".ab.secretsmith-0123456789abcdef.tmp", for: "a"))
        #expect(!AtomicFileWriter.isTemporaryName("a", for: "a"))
    }

    @Test("a failed write phase removes the directories it created, and keeps those that existed")
    func createdDirectoriesAreRemoved() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/kept", withIntermediateDirectories: true)
        try OutputTestSupport.writeFile(directory + "/blocker", [0])
        let writer = AtomicFileWriter(registry: StagedFileRegistry())
        #expect(throws: OutputWriteError.self) {
            _ = try writer.write([
                (path: directory + "/new/deeper/a.env", bytes: [1], options: WriteOptions()),
                (path: directory + "/new/b.env", bytes: [1], options: WriteOptions()),
                (path: directory + "/kept/c/d.env", bytes: [1], options: WriteOptions()),
                (path: directory + "/blocker/e.env", bytes: [1], options: WriteOptions()),
            ])
        }
        #expect(try OutputTestSupport.listDirectory(directory).sorted() == ["blocker", "kept"])
        #expect(try OutputTestSupport.listDirectory(directory + "/kept").isEmpty)
        #expect(writer.registry.paths.isEmpty)
    }

    @Test("a NUL in a destination path is refused before anything is created")
    func nulInDestination() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        #expect(throws: OutputWriteError.self) {
            _ = try AtomicFileWriter(registry: StagedFileRegistry()).write([
                (path: directory + "/a.env\u{0}b", bytes: [1], options: WriteOptions())
            ])
        }
        #expect(try OutputTestSupport.listDirectory(directory).isEmpty)
    }

    @Test("a signal's cleanup waits for a commit's renames: all of them happen, then nothing is left")
    func cleanupWaitsForTheRenamePhase() async throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let registry = StagedFileRegistry()
        let writer = AtomicFileWriter(registry: registry)
        let names = (0..<200).map { "out\($0).env" }
        for name in names { try OutputTestSupport.writeFile(directory + "/" + name, Array("old".utf8)) }
        let staged = try names.map { try writer.stage(Array("new".utf8), to: directory + "/" + $0, options: WriteOptions()) }
        // Start the cleanup while the commit runs; whichever takes the lock first, every
        // destination ends wholly old (cleanup first) or wholly new (commit first).
        async let cleanup: Int = { registry.removeAll(closing: true) }()
        let committed = (try? writer.commit(staged)) != nil
        let removed = await cleanup
        let contents = try names.map { try OutputTestSupport.readFile(directory + "/" + $0) }
        #expect(Set(contents).count == 1, "a mix of old and new files")
        #expect(committed ? removed == 0 : removed == names.count)
        #expect(try OutputTestSupport.listDirectory(directory).count == names.count, "no temporary file remains")
    }
}
