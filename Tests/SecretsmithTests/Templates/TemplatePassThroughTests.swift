import Secretsmith
import Testing

/// Every `<<` that is not an action passes through byte for byte.
@Suite("Template pass-through")
struct TemplatePassThroughTests {
    static let texts: [String] = [
        // Shell heredocs.
        "cat <<EOF\nhello\nEOF\n",
        "cat << EOF\nhello\nEOF\n",
        "cat <<-'EOF'\n\thello\n\tEOF\n",
        "cat <<- EOF\nx\nEOF\n",
        "cat << \"EOF\"\nhello $HOME\nEOF\n",
        "cat <<\"EOF\"\nx\nEOF\n",
        "cat <<\t\"EOF\"\nx\nEOF\n",
        "cat << \"EOF\" > out.txt\nx\nEOF\n",
        "cat << \"EOF\" | tee -a log >> /dev/null\nx\nEOF\n",
        "cat << 'EOF' >> log\nx\nEOF\n",
        "cat << EOF | grep x >> log\nx\nEOF\n",
        "cat << EOF \"file\"\nx\nEOF\n",
        "cat << secret\nx\nsecret\n",
        "cat <<env\nx\nenv\n",
        // Here-strings and runs of `<`.
        "grep -q x <<< \"$v\" >> log\n",
        "tr a b <<<\"$v\"\n",
        "a <<<< \"b\" >> c\n",
        // C++ stream operators and shifts.
        "std::cout << \"x\" << std::endl;\n",
        "std::cout << \"a\" << \"b\" << '\\n';\n",
        "std::cerr << \"operator \" << \"<<\" << '\\n';\n",
        "std::cin >> name; std::cout << name << std::endl;\n",
        "std::cout << secret << '\\n';\n",
        "std::cout << env << std::flush;\n",
        "unsigned flags = 1u << 3; return flags >> 3;\n",
        "x = $(( 1 << 4 ))\n",
        // YAML merge keys.
        "base: &base\n  a: 1\nderived:\n  <<: *base\n  b: 2\n",
        "derived: { <<: *base, b: 2 }\n",
        // Lone and empty forms.
        "<<",
        "x <<",
        "x <<\n",
        "<<>>",
        "<< >>",
        "a <<  >> b",
        "a << b >> c",
        "<<secret>>",
        "<< secret",
        "<< secret \n",
        "<< env\t\n",
        "<< 'single' >>",
        "<< \"unterminated >>\n",
        "<< \"no close\" \n>>",
        "<< \"x\" | json >>",
        "<< -EOF \"x\" >>",
        "<< 42 \"x\" >>",
        "<< secrte\n\"a\" >>",
        "<< >> << >>",
        ">> << <",
        "",
        "no actions at all\n",
    ]

    @Test("passes text through unchanged", arguments: texts)
    func passesThrough(_ text: String) throws {
        let template = try Template.parse(TemplateHarness.bytes(text), path: TemplateHarness.path)
        #expect(template.secretReferences.isEmpty)
        #expect(template.environmentReferences.isEmpty)
        #expect(try TemplateHarness.render(text) == TemplateHarness.bytes(text))
        #expect(Template.problems(in: TemplateHarness.bytes(text), path: TemplateHarness.path).isEmpty)
    }

    @Test("keeps invalid UTF-8, NUL and a byte order mark in text")
    func keepsRawBytes() throws {
        let template: [UInt8] = [0xEF, 0xBB, 0xBF, 0xFF, 0xFE, 0x00, 0x3C, 0x3C, 0x80, 0xC3, 0x0A, 0x3C, 0x3C, 0x3C, 0xC0]
        #expect(try TemplateHarness.render(template) == template)
    }

    @Test("keeps invalid UTF-8 around an action")
    func keepsRawBytesAroundActions() throws {
        let template: [UInt8] = [0xFF] + TemplateHarness.bytes("<< secret \"s\" >>") + [0xFE, 0x0D]
        let rendered = try TemplateHarness.render(template, secrets: ["s": [0x00, 0x01]])
        #expect(rendered == [0xFF, 0x00, 0x01, 0xFE, 0x0D])
    }
}
