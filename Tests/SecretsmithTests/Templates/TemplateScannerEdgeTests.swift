import Secretsmith
import Testing
import YAML

/// Edge cases of the byte scanner: where `memchr` searches stop, columns counted eight
/// bytes at a time, and line ends.
@Suite("Template scanner edges")
struct TemplateScannerEdgeTests {
    private let prefix = "templates/app.tmpl:"

    private func render(_ template: String, _ secrets: [String: String] = ["a": "A"]) throws -> String {
        String(decoding: try TemplateHarness.render(template, secrets: secrets), as: UTF8.self)
    }

    private func describe(_ template: String) throws -> String {
        try #require(TemplateHarness.parseError(template)).description
    }

    @Test("a `<` or `<<` at the very end of the template is text")
    func lessThanAtEnd() throws {
        #expect(try render("x <") == "x <")
        #expect(try render("<") == "<")
        #expect(try render("x <<") == "x <<")
        #expect(try render("<< secret \"a\" >><") == "A<")
        #expect(try render("<< secret \"a\" >><<") == "A<<")
        #expect(try render("a<b<c<<") == "a<b<c<<")
    }

    @Test("`<<` inside an action's quoted string or after it is part of the action, not a new one")
    func doubleLessThanInsideAction() throws {
        #expect(try render("[<< secret \"a<<b\" >>]", ["a<<b": "V"]) == "[V]")
        #expect(try render("[<< \"<<\" >>]") == "[<<]")
        #expect(try render("[<< \"x << y\" >>] << secret \"a\" >>") == "[x << y] A")
        // A `<<` between the argument and `>>` is an unexpected token of that action.
        #expect(try describe("ok\n  << secret \"a\" << >>")
            == prefix + "2:3: Unexpected `<` in the `secret` action. Filters follow a `|`; the action ends with `>>`.")
    }

    @Test("columns count scalars exactly past many multibyte characters (8-byte steps and the tail)",
          arguments: [0, 1, 7, 8, 9, 15, 16, 17, 63])
    func multibyteBeforeColumn(count: Int) throws {
        // Two-, three- and four-byte scalars, so every step mixes continuation bytes.
        let scalars = ["é", "✓", "😀", "a"]
        var line = ""
        for index in 0..<count { line += scalars[index % scalars.count] }
        let error = "\(line)<< secrte \"a\" >>"
        #expect(try describe("first line ✓✓✓✓✓✓✓✓✓✓\n" + error)
            == prefix + "2:\(count + 1): `secrte` is not a template action. Did you mean `secret`?")
        // The same on the first line, after a byte order mark, which takes no column.
        #expect(try describe("\u{FEFF}" + error)
            == prefix + "1:\(count + 1): `secrte` is not a template action. Did you mean `secret`?")
    }

    @Test("columns after earlier actions on the same long line are counted from the line start")
    func columnsAfterActionsOnOneLine() throws {
        let filler = String(repeating: "ü", count: 37)
        let template = "\(filler)<< secret \"a\" >>\(filler)<< secret \"a\" >>\(filler)<< secrte \"a\" >>"
        // 37 + 16 + 37 + 16 + 37 scalars before the third `<<`.
        #expect(try describe(template) == prefix + "1:144: `secrte` is not a template action. Did you mean `secret`?")
    }

    @Test("CRLF line ends: an action ends before `\\r\\n`, lines count at LF, the CR stays in the output")
    func crlf() throws {
        #expect(try render("A=<< secret \"a\" >>\r\nB=<< secret \"a\" >>\r\n") == "A=A\r\nB=A\r\n")
        #expect(try describe("x\r\ny\r\n  é << secret \"a\"\r\n")
            == prefix + "3:5: The `secret` action has no closing `>>` on its line. "
            + #"End it with `>>`; write << "<<" >> for a literal `<<`."#)
    }

    @Test("a large template with many placeholders renders byte for byte")
    func manyPlaceholders() throws {
        var template = ""
        var expected = ""
        for index in 0..<2000 {
            // A lone `<` before the action (`<<<` would be a here-string: text).
            let text = String(repeating: index % 3 == 0 ? "é" : "x", count: index % 40) + "< "
            template += text + "<< secret \"s\(index % 7)\" >>\n"
            expected += text + "v\(index % 7)\n"
        }
        let secrets = Dictionary(uniqueKeysWithValues: (0..<7).map { ("s\($0)", "v\($0)") })
        #expect(try render(template, secrets) == expected)
    }
}
