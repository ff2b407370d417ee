import Foundation
import Glibc
import Secretsmith
import Testing

@Suite("Atomic file writer")
struct AtomicFileWriterTests {
    private let writer = AtomicFileWriter(registry: StagedFileRegistry())

    static func status(_ path: String) throws -> stat {
        var info = stat()
        try #require(lstat(path, &info) == 0, "lstat \(path): \(String(cString: strerror(errno)))")
        return info
    }

    static func mode(_ path: String) throws -> UInt32 {
        UInt32(try status(path).st_mode) & 0o7777
    }

    /// Sets a file's access and modification times to 2001-09-09 (1,000,000,000 s).
    static func ageFile(_ path: String) throws {
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        try #require(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0)
    }

    @Test("writes a new file with the exact mode and reports it written")
    func writesNewFile() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/app.env"
        let results = try writer.write([(path: path, bytes: Array("A='1'\n".utf8), options: WriteOptions(mode: 0o640))])
        #expect(results == [OutputWriteResult(path: path, mode: 0o640, byteCount: 6, status: .written)])
        #expect(try OutputTestSupport.readFile(path) == Array("A='1'\n".utf8))
        #expect(try Self.mode(path) == 0o640)
        #expect(try OutputTestSupport.listDirectory(directory) == ["app.env"])
    }

    @Test("an unchanged file is not rewritten and keeps its mtime; a mode change rewrites it")
    func unchangedKeepsMtime() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/same.json"
        let bytes = Array("{}\n".utf8)
        _ = try writer.write([(path: path, bytes: bytes, options: WriteOptions())])
        try Self.ageFile(path)
        let before = try Self.status(path)

        let again = try writer.write([(path: path, bytes: bytes, options: WriteOptions())])
        #expect(again.map(\.status) == [.unchanged])
        let after = try Self.status(path)
        #expect(after.st_mtim.tv_sec == 1_000_000_000 && after.st_ino == before.st_ino)
        #expect(try writer.preview(bytes, to: path, options: WriteOptions()).status == .unchanged)

        #expect(try writer.preview(bytes, to: path, options: WriteOptions(mode: 0o400)).status == .written)
        let modeChange = try writer.write([(path: path, bytes: bytes, options: WriteOptions(mode: 0o400))])
        #expect(modeChange.map(\.status) == [.written])
        #expect(try Self.mode(path) == 0o400)

        let contentChange = try writer.write([(path: path, bytes: Array("{ }\n".utf8), options: WriteOptions(mode: 0o400))])
        #expect(contentChange.map(\.status) == [.written])
        #expect(try Self.status(path).st_mtim.tv_sec != 1_000_000_000)
    }

    @Test("a symbolic link destination is refused, and neither link nor target changes")
    func symlinkRefused() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let target = directory + "/target", link = directory + "/link"
        try OutputTestSupport.writeFile(target, Array("old".utf8))
        try #require(symlink("target", link) == 0)
        #expect {
            _ = try writer.write([(path: link, bytes: Array("new".utf8), options: WriteOptions())])
        } throws: { error in
            guard let error = error as? OutputWriteError else { return false }
            return error.reason == .symbolicLinkRefused && error.kind == .cannotCreate && error.description.contains(link)
        }
        #expect(try OutputTestSupport.readFile(target) == Array("old".utf8))
        #expect(UInt32(try Self.status(link).st_mode) & UInt32(S_IFMT) == UInt32(S_IFLNK))
        #expect(try OutputTestSupport.listDirectory(directory) == ["link", "target"])
    }

    @Test("follow_symlinks writes the link's final target and keeps the links")
    func followSymlinks() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: false)
        let target = directory + "/real/app.env"
        try OutputTestSupport.writeFile(target, Array("old".utf8))
        try #require(symlink("real/app.env", directory + "/hop") == 0)
        try #require(symlink(directory + "/hop", directory + "/link") == 0)
        let results = try writer.write([(path: directory + "/link", bytes: Array("new".utf8), options: WriteOptions(followSymlinks: true))])
        #expect(results.map(\.path) == [target])
        #expect(try OutputTestSupport.readFile(target) == Array("new".utf8))
        #expect(UInt32(try Self.status(directory + "/link").st_mode) & UInt32(S_IFMT) == UInt32(S_IFLNK))
        #expect(try OutputTestSupport.listDirectory(directory + "/real") == ["app.env"])

        // A dangling link: the target is created.
        try #require(symlink("real/new.env", directory + "/dangling") == 0)
        _ = try writer.write([(path: directory + "/dangling", bytes: Array("x".utf8), options: WriteOptions(followSymlinks: true))])
        #expect(try OutputTestSupport.readFile(directory + "/real/new.env") == Array("x".utf8))
    }

    @Test("a parent that is a dangling symbolic link is named as one, and nothing is created")
    func danglingParent() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try #require(symlink(directory + "/nowhere", directory + "/dangling") == 0)
        let error = #expect(throws: OutputWriteError.self) {
            _ = try AtomicFileWriter().write([(path: directory + "/dangling/x.env", bytes: Array("x".utf8), options: WriteOptions())])
        }
        #expect(error?.description.contains("'\(directory)/dangling' as a directory (it is a dangling symbolic link)") == true,
                "\(String(describing: error))")
        #expect(error?.kind == .cannotCreate)
        #expect(try OutputTestSupport.listDirectory(directory) == ["dangling"])
    }

    @Test("missing parent directories are created with mode 0700")
    func createsDirectories() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/a/b/c/app.env"
        #expect(try writer.preview([1], to: path, options: WriteOptions()).status == .written)
        #expect(!FileManager.default.fileExists(atPath: directory + "/a"), "preview must not create anything")
        _ = try writer.write([(path: path, bytes: [1, 2, 3], options: WriteOptions())])
        for created in ["/a", "/a/b", "/a/b/c"] {
            #expect(try Self.mode(directory + created) == 0o700, "mode of \(created)")
        }
        #expect(try OutputTestSupport.readFile(path) == [1, 2, 3])
    }

    @Test("create_dirs false with a missing directory fails with exit 73 and creates nothing")
    func createDirectoriesDisabled() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/missing/app.env"
        #expect {
            _ = try writer.write([(path: path, bytes: [1], options: WriteOptions(createDirectories: false))])
        } throws: { error in
            guard let error = error as? OutputWriteError else { return false }
            return error.kind == .cannotCreate && error.kind.exitCode == 73 && error.description.contains(path)
                && error.description.contains(directory + "/missing")
        }
        #expect(try OutputTestSupport.listDirectory(directory).isEmpty)
    }

    @Test("a failure staging the second of three outputs changes no destination and leaves no temporary file")
    func allOrNothing() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let first = directory + "/first.env", third = directory + "/third.env"
        try OutputTestSupport.writeFile(first, Array("old first".utf8))
        try OutputTestSupport.writeFile(third, Array("old third".utf8))
        try OutputTestSupport.writeFile(directory + "/blocker", Array("a file, not a directory".utf8))
        let second = directory + "/blocker/second.env"
        let before = try OutputTestSupport.listDirectory(directory)
        #expect {
            _ = try writer.write([
                (path: first, bytes: Array("new first".utf8), options: WriteOptions()),
                (path: second, bytes: Array("new second".utf8), options: WriteOptions()),
                (path: third, bytes: Array("new third".utf8), options: WriteOptions()),
            ])
        } throws: { error in
            guard let error = error as? OutputWriteError else { return false }
            return error.kind == .cannotCreate && error.description.contains(second) && error.description.contains("Not a directory")
        }
        #expect(try OutputTestSupport.readFile(first) == Array("old first".utf8))
        #expect(try OutputTestSupport.readFile(third) == Array("old third".utf8))
        #expect(try OutputTestSupport.listDirectory(directory) == before)
        #expect(writer.registry.paths.isEmpty)
    }

    @Test("staging leaves the destination alone until commit, which replaces it in one rename")
    func commitIsAtomic() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/app.env"
        try OutputTestSupport.writeFile(path, Array("old".utf8))
        let oldInode = try Self.status(path).st_ino
        let reader = open(path, O_RDONLY)
        defer { close(reader) }

        let staged = try writer.stage(Array("new content".utf8), to: path, options: WriteOptions())
        let temporary = try #require(staged.temporaryPath)
        #expect(OutputTestSupport.isTemporaryName(temporary, for: "app.env"))
        #expect(try OutputTestSupport.readFile(path) == Array("old".utf8))
        #expect(try OutputTestSupport.readFile(temporary) == Array("new content".utf8))
        #expect(try Self.mode(temporary) == 0o600)
        #expect(writer.registry.paths == [temporary])

        let results = try writer.commit([staged])
        #expect(results.map(\.status) == [.written])
        #expect(try OutputTestSupport.readFile(path) == Array("new content".utf8))
        #expect(try Self.status(path).st_ino != oldInode, "the file is replaced by rename, not rewritten in place")
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(reader, &buffer, 16) == 3, "a reader of the old file still sees the old content")
        #expect(try OutputTestSupport.listDirectory(directory) == ["app.env"])
        #expect(writer.registry.paths.isEmpty)
    }

    @Test("discard and the signal cleanup remove staged temporary files")
    func discardAndCleanup() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let staged = try writer.stage([1], to: directory + "/a", options: WriteOptions())
        writer.discard([staged])
        #expect(try OutputTestSupport.listDirectory(directory).isEmpty)

        _ = try writer.stage([1], to: directory + "/b", options: WriteOptions())
        _ = try writer.stage([2], to: directory + "/c", options: WriteOptions())
        #expect(try OutputTestSupport.listDirectory(directory).count == 2)
        #expect(writer.registry.removeAll(closing: true) == 2)
        #expect(try OutputTestSupport.listDirectory(directory).isEmpty)
        #expect(throws: OutputWriteError(path: directory + "/d", reason: .shuttingDown)) {
            _ = try writer.stage([3], to: directory + "/d", options: WriteOptions())
        }
        #expect(try OutputTestSupport.listDirectory(directory).isEmpty)
    }

    @Test("modes granting access to others are refused unless allowed; a directory destination is refused")
    func refusedModesAndTargets() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/app.env"
        #expect(throws: OutputWriteError(path: path, reason: .worldAccessibleMode(0o644))) {
            _ = try writer.write([(path: path, bytes: [1], options: WriteOptions(mode: 0o644))])
        }
        #expect(throws: OutputWriteError(path: path, reason: .invalidMode(0o4600))) {
            _ = try writer.write([(path: path, bytes: [1], options: WriteOptions(mode: 0o4600))])
        }
        _ = try writer.write([(path: path, bytes: [1], options: WriteOptions(mode: 0o644, allowWorldReadable: true))])
        #expect(try Self.mode(path) == 0o644)
        #expect(throws: OutputWriteError(path: directory, reason: .notRegularFile)) {
            _ = try writer.write([(path: directory, bytes: [1], options: WriteOptions())])
        }
    }

    @Test("owner and group are applied and checked for unchanged files (needs root)", .enabled(if: geteuid() == 0, "not running as root"))
    func ownerAndGroup() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/new/app.env"
        let options = WriteOptions(owner: "4321", group: "8765")
        _ = try writer.write([(path: path, bytes: [1], options: options)])
        let info = try Self.status(path)
        #expect(info.st_uid == 4321 && info.st_gid == 8765)
        #expect(try Self.status(directory + "/new").st_uid == 4321, "created directories belong to the owner")
        #expect(try writer.write([(path: path, bytes: [1], options: options)]).map(\.status) == [.unchanged])
        #expect(try writer.write([(path: path, bytes: [1], options: WriteOptions(owner: "root", group: "root"))]).map(\.status) == [.written])
        #expect(try Self.status(path).st_uid == 0)
        #expect(throws: OutputWriteError(path: path, reason: .unknownUser("no-such-user-secretsmith"))) {
            _ = try writer.write([(path: path, bytes: [1], options: WriteOptions(owner: "no-such-user-secretsmith"))])
        }
    }
}
