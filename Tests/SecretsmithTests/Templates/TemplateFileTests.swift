#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import Secretsmith
import Testing
import YAML

/// A large template is parsed from its file in chunks and kept there: it parses, renders,
/// writes and reports positions exactly as the same bytes parsed in memory, whatever the
/// chunk size; a template file edited between the parse and the write fails the write and
/// leaves the existing output alone.
@Suite struct TemplateFileTests {
    static let secrets: [String: [UInt8]] = [
        "e/p/a": Array("value-a".utf8),
        "e/p/b": Array("multi\nline\n".utf8),
        "e/p/empty": [],
        "e/p/all": (0...255).map(UInt8.init),
    ]

    /// Templates with text crossing any small chunk boundary, actions at line starts and
    /// ends, repeated and adjacent actions, literals, filters, a byte order mark, CRLF,
    /// multibyte text before a column, a line longer than the chunk, `<<` as the last
    /// bytes, no final newline, no placeholder at all, and nothing.
    static let templates: [(name: String, bytes: [UInt8])] = [
        ("empty", []),
        ("no placeholders", Array("plain text\nwith two lines\nand no end".utf8)),
        ("one action", Array(#"<< secret "e/p/a" >>"#.utf8)),
        ("lines", Array((0..<40).map { "line \($0) = << secret \"e/p/\($0 % 2 == 0 ? "a" : "b")\" >> tail\n" }.joined().utf8)),
        ("adjacent", Array(#"<< secret "e/p/a" >><< secret "e/p/empty" >><< secret "e/p/all" | base64 >>x"#.utf8) + [0x0A]),
        ("literal and filters", Array("a << \"<<\" >> b\n  << secret \"e/p/b\" | indent 2 >>\n<< env \"HOME_X\" | json >>\n".utf8)),
        ("byte order mark", [0xEF, 0xBB, 0xBF] + Array("é << secret \"e/p/a\" >>\n\u{1F512}\u{1F512} << secret \"e/p/b\" | trim >>\n".utf8)),
        ("crlf", Array("k: << secret \"e/p/a\" >>\r\nv: << secret \"e/p/b\" | json >>\r\n".utf8)),
        ("long line", Array((String(repeating: "x", count: 300) + #" << secret "e/p/a" >> "# + String(repeating: "ü", count: 200) + "\n<< secret \"e/p/b\" >>").utf8)),
        ("pass-through", Array("cat << EOF\nstd::cout << secret << x;\n<<< here\n<< \"EOF\" | tee >> log\nends with <<".utf8)),
    ]

    static let environment = ["HOME_X": "/home/x"]
    static let chunkSizes = [4, 5, 7, 16, 63, 1 << 16]

    static func write(_ bytes: [UInt8], in directory: String, name: String = "t.tmpl") throws -> String {
        let path = directory + "/" + name
        try OutputTestSupport.writeFile(path, bytes)
        return path
    }

    /// Parses `path` kept in its file, read in chunks of `chunkSize`.
    static func parseInFile(_ path: String, chunkSize: Int, collectingProblems: Bool = false) throws -> (template: Template, problems: [TemplateError]) {
        let parsed = try TemplateFile.parse(path, collectingProblems: collectingProblems, inFileFrom: 0, chunkSize: chunkSize)
        guard case .file = parsed.template.text else {
            Issue.record("the template was not kept in its file")
            return parsed
        }
        return parsed
    }

    static func content(_ template: Template) throws -> OutputContent {
        let (content, problems) = try template.renderContentCollectingProblems(
            secret: { reference, _ in secrets[reference] ?? [] }, environment: { environment[$0] })
        #expect(problems.isEmpty)
        return try #require(content)
    }

    @Test("parsed in chunks of any size, a template has the segments, actions and positions of the in-memory parse and renders the same bytes")
    func chunkedParseMatchesMemory() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        for (name, bytes) in Self.templates {
            let path = try Self.write(bytes, in: directory)
            let memory = try Template.parse(bytes, path: path)
            let expected = try memory.render(
                secret: { reference, _ in Self.secrets[reference] ?? [] }, environment: { Self.environment[$0] })
            for chunkSize in Self.chunkSizes {
                let (template, problems) = try Self.parseInFile(path, chunkSize: chunkSize)
                #expect(problems.isEmpty, "\(name), chunk \(chunkSize)")
                #expect(template.segments == memory.segments, "\(name), chunk \(chunkSize)")
                #expect(template.actions == memory.actions, "\(name), chunk \(chunkSize)")
                #expect(template.actionUses == memory.actionUses, "\(name), chunk \(chunkSize)")
                #expect(template.literalBytes == memory.literalBytes, "\(name), chunk \(chunkSize)")
                // Every use's position, counted on a second read of the file in chunks.
                #expect(template.secretReferences.map { "\($0.reference)@\($0.mark)" }
                    == memory.secretReferences.map { "\($0.reference)@\($0.mark)" }, "\(name), chunk \(chunkSize)")
                #expect(template.environmentReferences.map { "\($0.name)@\($0.mark)" }
                    == memory.environmentReferences.map { "\($0.name)@\($0.mark)" }, "\(name), chunk \(chunkSize)")
                let content = try Self.content(template)
                #expect(content.count == expected.count, "\(name), chunk \(chunkSize)")
                #expect(content.joinedIfUnchanged() == expected, "\(name), chunk \(chunkSize)")
                #expect(content.elementsEqual(OutputContent(expected)), "\(name), chunk \(chunkSize)")
                #expect(try template.render(
                    secret: { reference, _ in Self.secrets[reference] ?? [] }, environment: { Self.environment[$0] }) == expected)
            }
        }
    }

    @Test("written through the atomic writer from its file, in chunks: the output holds the in-memory rendering; an equal file is left alone")
    func writtenFromTheFile() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let writer = AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: nil)
        for (name, bytes) in Self.templates {
            let path = try Self.write(bytes, in: directory)
            let expected = try Template.parse(bytes, path: path).render(
                secret: { reference, _ in Self.secrets[reference] ?? [] }, environment: { Self.environment[$0] })
            for chunkSize in [4, 7, 1 << 16] {
                let output = directory + "/out"
                unlink(output)
                let content = try Self.content(try Self.parseInFile(path, chunkSize: chunkSize).template)
                let written = try writer.writeCounting([(path: output, content: content, options: WriteOptions(mode: 0o600))])
                #expect(written.results.map(\.status) == [.written], "\(name), chunk \(chunkSize)")
                #expect(try OutputTestSupport.readFile(output) == expected, "\(name), chunk \(chunkSize)")
                let again = try writer.writeCounting([(path: output, content: content, options: WriteOptions(mode: 0o600))])
                #expect(again.results.map(\.status) == [.unchanged], "\(name), chunk \(chunkSize)")
            }
        }
    }

    @Test("a template of many megabytes, kept in its file with the default chunk size, is written (write-back started every 8 MiB) exactly as rendered in memory")
    func largeTemplateWrittenExactly() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let filler = String(repeating: "y", count: 997)
        let bytes = Array((0..<20_000).map { "\($0) \(filler) << secret \"e/p/\($0 % 3 == 0 ? "all" : "a")\" >>\n" }.joined().utf8)
        #expect(bytes.count > 2 * FileSystemCalls.WriteBehind.step)
        let path = try Self.write(bytes, in: directory)
        let expected = try Template.parse(bytes, path: path).render(
            secret: { reference, _ in Self.secrets[reference] ?? [] }, environment: { _ in nil })
        let (template, problems) = try TemplateFile.parse(path, collectingProblems: false, inFileFrom: TemplateFile.inFileFrom)
        #expect(problems.isEmpty)
        guard case .file = template.text else {
            Issue.record("a template of \(bytes.count) bytes was not kept in its file")
            return
        }
        let output = directory + "/big.out"
        let writer = AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: nil)
        let written = try writer.writeCounting([(path: output, content: try Self.content(template), options: WriteOptions(mode: 0o600))])
        #expect(written.results.map(\.status) == [.written])
        #expect(try OutputTestSupport.readFile(output) == expected)
    }

    @Test("an action split by a chunk boundary and errors after several boundaries are found at their exact line and column")
    func errorPositionsAfterBoundaries() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let text = (0..<12).map { "ok \($0) << secret \"e/p/a\" >> \u{00E9}\u{00E9}\n" }.joined()
            + "bad: \u{1F512} << secrte \"e/p/a\" >>\n"
            + "more << secret \"e/p/a\" | nofilter >>\n"
            + "last << env \"X\"\n"
        let bytes = Array(text.utf8)
        let path = try Self.write(bytes, in: directory)
        let memoryProblems = Template.problems(in: bytes, path: path)
        #expect(memoryProblems.map(\.mark) == [Mark(line: 13, column: 8), Mark(line: 14, column: 6), Mark(line: 15, column: 6)])
        var memoryFirst: TemplateError?
        do { _ = try Template.parse(bytes, path: path) } catch { memoryFirst = error }
        for chunkSize in Self.chunkSizes {
            let collected = try Self.parseInFile(path, chunkSize: chunkSize, collectingProblems: true).problems
            #expect(collected.map(\.description) == memoryProblems.map(\.description), "chunk \(chunkSize)")
            let first = try TemplateFile.parse(path, collectingProblems: false, inFileFrom: 0, chunkSize: chunkSize).problems
            #expect(first.map(\.description) == [memoryFirst?.description], "chunk \(chunkSize)")
        }
    }

    @Test("a value that cannot be rendered is reported at each use, positions counted on a second read of the file")
    func renderProblemsAtEachUse() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let bytes = Array((0..<9).map { "\($0) << env \"UNSET_X\" >> << secret \"e/p/a\" >>\n" }.joined().utf8)
        let path = try Self.write(bytes, in: directory)
        let render: (Template) throws -> [String] = { template in
            let (content, problems) = try template.renderContentCollectingProblems(
                secret: { reference, _ in Self.secrets[reference] ?? [] }, environment: { _ in nil })
            #expect(content == nil)
            return problems.map(\.error.description)
        }
        let expected = try render(try Template.parse(bytes, path: path))
        #expect(expected.count == 9)
        for chunkSize in [5, 16, 1 << 16] {
            #expect(try render(try Self.parseInFile(path, chunkSize: chunkSize).template) == expected, "chunk \(chunkSize)")
        }
    }

    @Test("a template edited in place between its parse and the write fails the write naming it; the existing output and directory are untouched")
    func editedTemplateFailsTheWrite() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let original = Array((0..<50).map { "line \($0): << secret \"e/p/a\" >>\n" }.joined().utf8)
        let edits: [(String, ([UInt8]) -> [UInt8])] = [
            ("one byte changed", { var b = $0; b[b.count / 2] ^= 0x01; return b }),
            ("a word changed at the end", { var b = $0; b[b.count - 3] = UInt8(ascii: "Z"); return b }),
            ("truncated", { Array($0.prefix($0.count / 3)) }),
            ("appended to", { $0 + Array("extra\n".utf8) }),
            ("emptied", { _ in [] }),
        ]
        let writer = AtomicFileWriter(registry: StagedFileRegistry(), staleBefore: nil)
        let output = directory + "/app.out"
        let old = Array("the previous output\n".utf8)
        for (name, edit) in edits {
            let path = try Self.write(original, in: directory)
            try OutputTestSupport.writeFile(output, old)
            let content = try Self.content(try Self.parseInFile(path, chunkSize: 64).template)
            // Edited in place: same file, same descriptor.
            let descriptor = open(path, O_WRONLY | O_TRUNC)
            try #require(descriptor >= 0)
            let edited = edit(original)
            #expect(edited.withUnsafeBytes { FileSystemCalls.writeAll(descriptor, $0) } == 0)
            close(descriptor)
            #expect(throws: OutputWriteError(path: output, reason: .templateChanged(path)), "\(name)") {
                try writer.writeCounting([(path: output, content: content, options: WriteOptions(mode: 0o600))])
            }
            #expect(try OutputTestSupport.readFile(output) == old, "\(name)")
            #expect(try OutputTestSupport.listDirectory(directory).sorted() == ["app.out", "t.tmpl"], "\(name): no temporary file left")
            #expect(content.joinedIfUnchanged() == nil, "\(name)")
            #expect(!content.elementsEqual(content), "\(name)")
        }
        let error = OutputWriteError(path: output, reason: .templateChanged("templates/app.tmpl"))
        #expect(error.code == .templateChanged)
        #expect(error.kind == .cannotCreate)
        #expect(error.description.contains("\"templates/app.tmpl\" changed"))
    }

    @Test("a template replaced by a rename after its parse is still written as parsed, from the file that was parsed")
    func renamedTemplateKeepsTheParsedFile() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let original = Array("a = << secret \"e/p/a\" >>\n".utf8)
        let path = try Self.write(original, in: directory)
        let content = try Self.content(try Self.parseInFile(path, chunkSize: 8).template)
        let replacement = try Self.write(Array("b = something else\n".utf8), in: directory, name: "new.tmpl")
        #expect(rename(replacement, path) == 0)
        #expect(content.joinedIfUnchanged() == Array("a = value-a\n".utf8))
    }

    @Test("the change check's checksum does not depend on how the bytes are split, and changes with any byte or the length")
    func checksumIsSplitIndependent() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = bytes.withUnsafeBytes { TemplateChecksum.of($0) }
        for _ in 0..<50 {
            var checksum = TemplateChecksum()
            var index = 0
            while index < bytes.count {
                let count = min(Int.random(in: 0...70, using: &generator), bytes.count - index)
                bytes.withUnsafeBytes { checksum.update(UnsafeRawBufferPointer(rebasing: $0[index..<(index + count)])) }
                index += count
            }
            #expect(checksum.value == whole)
        }
        for position in stride(from: 0, to: bytes.count, by: 37) {
            var changed = bytes
            changed[position] ^= 0x40
            #expect(changed.withUnsafeBytes { TemplateChecksum.of($0) } != whole)
        }
        #expect((bytes + [0]).withUnsafeBytes { TemplateChecksum.of($0) } != whole)
        #expect([UInt8]().withUnsafeBytes { TemplateChecksum.of($0) } != [0].withUnsafeBytes { TemplateChecksum.of($0) })
    }

    @Test("only a run that writes files keeps a template of at least 1 MiB in its file; smaller ones and other runs read it into memory")
    func threshold() throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        let small = try Self.write(Array("a << secret \"e/p/a\" >>\n".utf8), in: directory)
        let large = try Self.write(Array(repeating: UInt8(ascii: "x"), count: TemplateFile.inFileFrom), in: directory, name: "large.tmpl")
        func inFile(_ path: String, _ from: Int?) throws -> Bool {
            if case .file = try TemplateFile.parse(path, collectingProblems: false, inFileFrom: from).template.text { return true }
            return false
        }
        #expect(try !inFile(small, TemplateFile.inFileFrom))
        #expect(try inFile(large, TemplateFile.inFileFrom))
        #expect(try !inFile(large, nil))
    }
}
