import Secretsmith
import Testing
import YAML

/// Rendering: actions, literals, payload bytes, positions.
@Suite("Template rendering")
struct TemplateRenderTests {
    private func b(_ text: String) -> [UInt8] { TemplateHarness.bytes(text) }

    @Test("a secret action renders the payload")
    func secretAction() throws {
        #expect(try TemplateHarness.render("password=<< secret \"billing/db-password\" >>;\n",
                                           secrets: ["billing/db-password": "hunter2"])
            == b("password=hunter2;\n"))
    }

    @Test("blanks are optional and may be tabs")
    func spacing() throws {
        let secrets = ["a/b": "V"]
        #expect(try TemplateHarness.render("<<secret \"a/b\">>", secrets: secrets) == b("V"))
        #expect(try TemplateHarness.render("<<secret\"a/b\">>", secrets: secrets) == b("V"))
        #expect(try TemplateHarness.render("<<\tsecret\t\"a/b\"\t|\ttrim\t>>", secrets: secrets) == b("V"))
        #expect(try TemplateHarness.render("<<   secret   \"a/b\"   >>", secrets: secrets) == b("V"))
        #expect(try TemplateHarness.render("<<secret \"a/b\"|indent 2>>|<< secret \"a/b\" |json>>", secrets: secrets) == b("  V|\"V\""))
    }

    @Test("the action ends at the first >> outside its string")
    func closeOutsideString() throws {
        #expect(try TemplateHarness.render("<< secret \"a>>b\" >> >>", secrets: ["a>>b": "V"]) == b("V >>"))
        #expect(try TemplateHarness.render("<< secret \"a\" >>>", secrets: ["a": "V"]) == b("V>"))
    }

    @Test("string escapes are \\\" and \\\\")
    func stringEscapes() throws {
        #expect(try TemplateHarness.render(#"<< secret "a\"b\\c" >>"#, secrets: [#"a"b\c"#: "V"]) == b("V"))
        #expect(try TemplateHarness.render("<< secret \"é/✓\" >>", secrets: ["é/✓": "V"]) == b("V"))
    }

    @Test("the env action renders a variable")
    func environmentAction() throws {
        let template = "host=<< env \"HOSTNAME\" >> shell=<< env \"SHELL\" | shell >> empty=[<< env \"EMPTY\" >>]"
        #expect(try TemplateHarness.render(template, environment: ["HOSTNAME": "web-1", "SHELL": "/bin/it's", "EMPTY": ""])
            == b(#"host=web-1 shell='/bin/it'\''s' empty=[]"#))
    }

    @Test("literal actions output their string and take no filters")
    func literals() throws {
        #expect(try TemplateHarness.render(#"<< "<<" >>"#) == b("<<"))
        #expect(try TemplateHarness.render(#"a<<"<<">>b"#) == b("a<<b"))
        #expect(try TemplateHarness.render(#"<< "<< secret \"x\" >>" >>"#) == b(#"<< secret "x" >>"#))
        #expect(try TemplateHarness.render(#"<< "a\\b" >> << "" >>."#) == b(#"a\b ."#))
        #expect(try TemplateHarness.render(#"<< ">>" >>"#) == b(">>"))
    }

    @Test("payload bytes are kept: trailing newlines, BOM, NUL, CR, invalid UTF-8")
    func payloadBytes() throws {
        let payload: [UInt8] = [0xEF, 0xBB, 0xBF, 0x61, 0x00, 0x0D, 0x0A, 0xFF, 0x0A, 0x0A]
        #expect(try TemplateHarness.render(b("[<< secret \"s\" >>]"), secrets: ["s": payload])
            == [0x5B] + payload + [0x5D])
        #expect(try TemplateHarness.render(b("<< secret \"s\" >>"), secrets: ["s": []]) == [])
    }

    @Test("several actions on one line, adjacent actions, a repeated reference")
    func multipleActions() throws {
        let template = "<< secret \"a\" >><< secret \"b\" >> << env \"E\" >>-<< secret \"a\" | json >><<\"!\">>\n"
        #expect(try TemplateHarness.render(template, secrets: ["a": "1", "b": "2"], environment: ["E": "e"])
            == b("12 e-\"1\"!\n"))
    }

    @Test("CRLF templates keep their line endings")
    func crlfTemplate() throws {
        let template = "a: << secret \"s\" >>\r\nb: << env \"E\" | trimnl >>\r\n<<EOF\r\n"
        #expect(try TemplateHarness.render(template, secrets: ["s": "x\r\n"], environment: ["E": "y\r\n"])
            == b("a: x\r\n\r\nb: y\r\n<<EOF\r\n"))
    }

    @Test("references and variables are listed in order with 1-based marks")
    func references() throws {
        let text = "# é✓ header\n  << secret \"dev/a/b@3\" >> and << env \"HOME\" >>\r\n\té << secret \"a/c#/x\" | json >>\n<< secret \"dev/a/b@3\" >>"
        let template = try Template.parse(b(text), path: "t")
        #expect(template.path == "t")
        #expect(template.secretReferences.map(\.reference) == ["dev/a/b@3", "a/c#/x", "dev/a/b@3"])
        #expect(template.secretReferences.map(\.mark) == [Mark(line: 2, column: 3), Mark(line: 3, column: 4), Mark(line: 4, column: 1)])
        #expect(template.environmentReferences.map(\.name) == ["HOME"])
        #expect(template.environmentReferences.map(\.mark) == [Mark(line: 2, column: 32)])
    }

    @Test("a leading byte order mark takes no column")
    func byteOrderMarkColumn() throws {
        let template = try Template.parse([0xEF, 0xBB, 0xBF] + b("<< secret \"a\" >>"), path: "t")
        #expect(template.secretReferences.map(\.mark) == [Mark(line: 1, column: 1)])
    }

    @Test("the secret closure gets each action's reference and mark, and its errors pass through")
    func secretClosure() throws {
        let template = try Template.parse(b("x\n  << secret \"a/b\" >>"), path: "t")
        var calls: [(String, Mark)] = []
        _ = try template.render(secret: { reference, mark in
            calls.append((reference, mark))
            return []
        }, environment: { _ in nil })
        #expect(calls.map(\.0) == ["a/b"])
        #expect(calls.map(\.1) == [Mark(line: 2, column: 3)])
        #expect(throws: TemplateHarness.UnknownSecret(reference: "a/b", mark: Mark(line: 2, column: 3))) {
            _ = try TemplateHarness.render(b("x\n  << secret \"a/b\" >>"))
        }
    }

    @Test("an unset variable is an error naming it and its position")
    func unsetVariable() throws {
        let error = try #require(TemplateHarness.renderError(b("a\nb << env \"DB_HOST\" | json >>"), environment: ["OTHER": "x"]))
        #expect(error.description == "templates/app.tmpl:2:3: Environment variable `DB_HOST` is not set. Set it for secretsmith, or remove the `env` action.")
        #expect(error.kind == .configuration)
    }

    @Test("every action that cannot be rendered is reported, each at its own position")
    func everyFailedActionIsReported() throws {
        let template = try Template.parse(
            b("a: << secret \"x\" | json >>\nb: << secret \"y\" | base64decode >>\nc: << env \"NOPE\" >>\nd: << secret \"x\" >>\n"),
            path: TemplateHarness.path)
        let payloads: [String: [UInt8]] = ["x": [0x61, 0xFF, 0x62], "y": b("not base64!")]
        let (bytes, problems) = try template.renderCollectingProblems(
            secret: { reference, _ in payloads[reference] ?? [] }, environment: { _ in nil })
        #expect(bytes == nil)
        #expect(problems.map(\.error.mark) == [Mark(line: 1, column: 4), Mark(line: 2, column: 4), Mark(line: 3, column: 4)])
        #expect(problems.map(\.reference) == ["x", "y", nil])
        #expect(problems[2].error.message == "Environment variable `NOPE` is not set.")
        // render(secret:environment:) still throws the first.
        #expect(throws: problems[0].error) {
            _ = try template.render(secret: { reference, _ in payloads[reference] ?? [] }, environment: { _ in nil })
        }
        #expect(template.unsetEnvironmentErrors(environment: { _ in nil }) == [problems[2].error])
        #expect(template.unsetEnvironmentErrors(environment: { _ in "set" }).isEmpty)
    }

    @Test("a repeated action is parsed and evaluated once, and a failure is reported at each of its uses")
    func repeatedActionsAreSharedButReportedPerUse() throws {
        // The same action written byte for byte, with other spacing, with a `>>` inside its
        // string, and the same reference under another filter.
        let text = "<< secret \"a\" | json >>\n << secret \"a\" | json >><<secret \"a\"|json>>\n"
            + "<< secret \"x>>y\" >>,<< secret \"x>>y\" >>,<< secret \"a\" >>,<< \"<<\" >><< \"<<\" >>\n"
        let template = try Template.parse(b(text), path: "t")
        var calls: [String] = []
        let rendered = try template.render(secret: { reference, _ in
            calls.append(reference)
            return b(reference == "a" ? "v" : "w")
        }, environment: { _ in nil })
        #expect(rendered == b("\"v\"\n \"v\"\"v\"\nw,w,v,<<<<\n"))
        #expect(calls == ["a", "x>>y"], "one call per distinct reference")
        #expect(template.secretReferences.map(\.mark) == [
            Mark(line: 1, column: 1), Mark(line: 2, column: 2), Mark(line: 2, column: 25), Mark(line: 3, column: 1),
            Mark(line: 3, column: 21), Mark(line: 3, column: 41),
        ])
        #expect(template.secretReferenceCount == 6)
        let (bytes, problems) = try template.renderCollectingProblems(
            secret: { reference, _ in reference == "a" ? [0xFF] : b("w") }, environment: { _ in nil })
        #expect(bytes == nil)
        #expect(problems.map(\.error.mark) == [Mark(line: 1, column: 1), Mark(line: 2, column: 2), Mark(line: 2, column: 25)])
        #expect(problems.map(\.reference) == ["a", "a", "a"])
        #expect(Set(problems.map(\.error.message)).count == 1)
    }

    @Test("a large template with many actions renders every byte")
    func largeTemplate() throws {
        let line = b("key: << secret \"a/b\" | trimnl >> << \"<<\" >> <<EOF\n")
        var template: [UInt8] = []
        for _ in 0..<20_000 { template += line }
        let parsed = try Template.parse(template, path: "big")
        #expect(parsed.secretReferences.count == 20_000)
        #expect(parsed.secretReferences.last?.mark == Mark(line: 20_000, column: 6))
        let rendered = try parsed.render(secret: { _, _ in [0x76, 0x0A] }, environment: { _ in nil })
        let expectedLine = b("key: v << <<EOF\n")
        #expect(rendered.count == expectedLine.count * 20_000)
        #expect(Array(rendered.suffix(expectedLine.count)) == expectedLine)
    }
}
