import Foundation
import Glibc
@testable import Secretsmith
import Testing

@Suite("File paths: lexical first, then real parents")
struct FilePathsTests {
    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    @Test("dot-dot is resolved lexically, whether or not the directory before it exists")
    func lexical() {
        #expect(FilePaths.absolute("out/nonexist/../q.env", relativeTo: "/w") == "/w/out/q.env")
        #expect(FilePaths.absolute("sub/../t.tmpl", relativeTo: "/w") == "/w/t.tmpl")
        #expect(FilePaths.absolute("./a//b/./c", relativeTo: "/w") == "/w/a/b/c")
        #expect(FilePaths.absolute("../../../x", relativeTo: "/w") == "/x")
        #expect(FilePaths.absolute(".", relativeTo: "/w/d") == "/w/d")
        #expect(FilePaths.absolute("/a/b/..", relativeTo: "/w") == "/a")
    }

    @Test("a path through a missing directory and dot-dot resolves at once (it used to loop forever)")
    func missingDirectoryAndDotDot() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        let real = try #require(Self.realPath(directory))
        #expect(try FilePaths.resolved(directory + "/out/nonexist/../q.env", followFinalLink: false) == real + "/out/q.env")
        #expect(try FilePaths.resolved(directory + "/a/b/c/../../d", followFinalLink: true) == real + "/a/d")
    }

    @Test("linked parents and followed final links resolve to where the bytes land")
    func links() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let real = try #require(Self.realPath(directory))
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        #expect(symlink("data", directory + "/link") == 0)
        #expect(symlink("data/target", directory + "/file-link") == 0)
        #expect(try FilePaths.resolved(directory + "/link/x", followFinalLink: false) == real + "/data/x")
        #expect(try FilePaths.resolved(directory + "/file-link", followFinalLink: false) == real + "/file-link")
        // A dangling link resolves to its target's path.
        #expect(try FilePaths.resolved(directory + "/file-link", followFinalLink: true) == real + "/data/target")
    }

    @Test("a loop of symbolic links is an error after a bounded number of links, not a hang")
    func loop() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        #expect(symlink("b", directory + "/a") == 0)
        #expect(symlink("a", directory + "/b") == 0)
        #expect(throws: PathResolutionError.self) {
            _ = try FilePaths.resolved(directory + "/a", followFinalLink: true)
        }
        // Through a looping parent: realpath reports ELOOP, the path is kept as written.
        #expect(try FilePaths.resolved(directory + "/a/x", followFinalLink: false).hasSuffix("/a/x"))
    }
}
