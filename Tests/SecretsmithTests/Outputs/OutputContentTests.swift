#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import Secretsmith
import Testing

/// A rendered template kept in pieces (template slices and action values) is written,
/// compared and joined exactly as its joined bytes would be.
@Suite struct OutputContentTests {
    /// Every byte value, NUL and `\n` included.
    static let everyByte = (0...255).map(UInt8.init)

    /// A template larger than ``OutputContent/joinedUpTo`` once rendered, with text,
    /// literals, adjacent actions, an empty value and values holding every byte; and the
    /// bytes it must render to, built here independently of the renderer.
    static func bigTemplate() throws -> (template: Template, values: [String: [UInt8]], expected: [UInt8]) {
        let values: [String: [UInt8]] = [
            "e/p/all": everyByte, "e/p/empty": [], "e/p/long": Array(repeating: 0x41, count: 300_000),
        ]
        var text: [UInt8] = []
        var expected: [UInt8] = []
        func add(_ piece: String, _ value: [UInt8]) {
            text += Array(piece.utf8)
            expected += value
        }
        for index in 0..<600 {
            let line = "line \(index) \u{1F512} "
            add(line, Array(line.utf8))
            add(#"<< secret "e/p/all" >>"#, everyByte)
            add(#"<< secret "e/p/empty" >><< secret "e/p/all" >>"#, everyByte)
            add(#"<< "<<" >>"#, Array("<<".utf8))
            add("\n", [0x0A])
        }
        add(#"<< secret "e/p/long" >>"#, values["e/p/long"]!)
        add("tail", Array("tail".utf8))
        return (try Template.parse(text, path: "big.tmpl"), values, expected)
    }

    static func pieceCount(_ content: OutputContent) -> Int {
        var count = 0
        content.forEachPiece { _ in count += 1 }
        return count
    }

    static func content(_ template: Template, _ values: [String: [UInt8]]) throws -> OutputContent {
        let (content, problems) = try template.renderContentCollectingProblems(
            secret: { reference, _ in values[reference] ?? [] }, environment: { _ in nil })
        #expect(problems.isEmpty)
        return try #require(content)
    }

    @Test("a large rendering is kept in pieces whose bytes are the template's output, every byte value included")
    func piecesEqualTheJoinedOutput() throws {
        let (template, values, expected) = try Self.bigTemplate()
        let content = try Self.content(template, values)
        #expect(Self.pieceCount(content) > 1, "kept in pieces")
        #expect(content.count == expected.count)
        #expect(content.joined == expected)
        var streamed: [UInt8] = []
        content.forEachPiece { streamed.append(contentsOf: $0) }
        #expect(streamed == expected)
        #expect(try template.render(secret: { reference, _ in values[reference] ?? [] }, environment: { _ in nil }) == expected)
        #expect(content.elementsEqual(OutputContent(expected)))
        #expect(OutputContent(expected).elementsEqual(content))
        var changed = expected
        changed[changed.count / 2] ^= 1
        #expect(!content.elementsEqual(OutputContent(changed)))
        #expect(!content.elementsEqual(OutputContent(Array(expected.dropLast()) + [0x41, 0x41])))
    }

    @Test("a small rendering is one buffer, so reading its bytes copies nothing")
    func smallRenderingIsJoined() throws {
        let template = try Template.parse(Array(#"a=<< secret "e/p/all" >>"#.utf8), path: "small.tmpl")
        let content = try Self.content(template, ["e/p/all": Self.everyByte])
        #expect(Self.pieceCount(content) == 1)
        #expect(content.joined == Array("a=".utf8) + Self.everyByte)
    }

    @Test("streamed into the file: the file holds the joined bytes with its mode; compared piece by piece; unchanged is not rewritten")
    func streamedWriteAndComparison() throws {
        let (template, values, expected) = try Self.bigTemplate()
        let content = try Self.content(template, values)
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let path = directory + "/big.out"
        let writer = AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: nil)
        let first = try writer.writeCounting([(path: path, content: content, options: WriteOptions(mode: 0o600))])
        #expect(first.results.map(\.status) == [.written])
        #expect(try OutputTestSupport.readFile(path) == expected)
        var before = stat()
        #expect(stat(path, &before) == 0)
        #expect(before.st_mode & 0o777 == 0o600)

        // The same content again: compared chunk by chunk with the file, left alone.
        let second = try writer.writeCounting([(path: path, content: content, options: WriteOptions(mode: 0o600))])
        #expect(second.results.map(\.status) == [.unchanged])
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(after.st_ino == before.st_ino)
        #expect(try writer.preview(content, to: path, options: WriteOptions(mode: 0o600)).status == .unchanged)

        // The file differs in one byte, is one byte shorter, or one longer: not equal.
        let variants: [(inout [UInt8]) -> Void] = [
            { $0[$0.count - 1] ^= 1 }, { _ = $0.removeLast() }, { $0.append(0) }, { $0[70_000] ^= 0x80 },
        ]
        for variant in variants {
            var bytes = expected
            variant(&bytes)
            try OutputTestSupport.writeFile(path, bytes)
            let descriptor = open(path, O_RDONLY)
            try #require(descriptor >= 0)
            #expect(!FileSystemCalls.contentEquals(descriptor, content))
            close(descriptor)
        }
        try OutputTestSupport.writeFile(path, expected)
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        #expect(FileSystemCalls.contentEquals(descriptor, content))
        close(descriptor)
    }

    @Test("a rendered output's bytes are its content joined; setting them replaces the content")
    func renderedOutputBytes() throws {
        let (template, values, expected) = try Self.bigTemplate()
        let output = OutputConfiguration(name: "big", format: .template, path: "big.out", template: "big.tmpl")
        var rendered = RenderedOutput(
            output: output, mode: FileMode(rawValue: 0o600)!, content: try Self.content(template, values), resolvedVersions: [:])
        #expect(rendered.byteCount == expected.count)
        #expect(rendered.bytes == expected)
        rendered.bytes = [1, 2, 3]
        #expect(rendered.content.joined == [1, 2, 3])
        #expect(rendered.byteCount == 3)
    }
}
