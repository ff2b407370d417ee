import Secretsmith
import Testing

/// Each filter, by exact output bytes.
@Suite("Template filters")
struct TemplateFilterTests {
    private func b(_ text: String) -> [UInt8] { TemplateHarness.bytes(text) }

    // MARK: json

    @Test("json escapes quotes, backslashes and control characters")
    func jsonEscapes() throws {
        let payload: [UInt8] = b("a\"b\\c/d") + [0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x00, 0x01, 0x1F, 0x7F]
        #expect(try TemplateHarness.filter(payload, "| json")
            == b(#""a\"b\\c/d\b\t\n\f\r\u0000\u0001\u001f"#) + [0x7F, 0x22])
    }

    @Test("json keeps non-ASCII and a byte order mark as UTF-8")
    func jsonKeepsNonASCII() throws {
        #expect(try TemplateHarness.filter("\u{FEFF}héllo ✓ 😀 \u{2028}", "| json")
            == b("\"\u{FEFF}héllo ✓ 😀 \u{2028}\""))
        #expect(try TemplateHarness.filter("", "| json") == b("\"\""))
    }

    @Test("json refuses invalid UTF-8 and names the offset, not the value",
          arguments: [
              ([0x61, 0x62, 0xFF], 2),
              ([0xC0, 0xAF], 0),                 // overlong
              ([0x61, 0xED, 0xA0, 0x80], 1),     // surrogate
              ([0xF4, 0x90, 0x80, 0x80], 0),     // above U+10FFFF
              ([0x61, 0xE2, 0x82], 1),           // truncated
          ] as [([UInt8], Int)])
    func jsonRefusesInvalidUTF8(payload: [UInt8], offset: Int) throws {
        let error = try #require(TemplateHarness.renderError(b("x << secret \"s\" | json >>"), secrets: ["s": payload]))
        #expect(error.description == """
            templates/app.tmpl:1:3: The `json` filter needs UTF-8 text, but the value of secret `s` \
            is not valid UTF-8 at byte offset \(offset). Use `base64` to carry binary data.
            """)
        #expect(error.kind == .configuration)
    }

    // MARK: base64

    @Test("base64 matches the RFC 4648 section 10 vectors",
          arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
                      ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64Vectors(plain: String, encoded: String) throws {
        #expect(try TemplateHarness.filter(plain, "| base64") == b(encoded))
        #expect(try TemplateHarness.filter(encoded, "| base64decode") == b(plain))
    }

    @Test("base64 then base64decode round-trips every byte value")
    func base64RoundTrip() throws {
        let all = (0...255).map(UInt8.init) + [0xFF, 0x00]
        #expect(try TemplateHarness.filter(all, "| base64 | base64decode") == all)
        #expect(try TemplateHarness.filter([0xFB, 0xFF, 0xBF], "| base64") == b("+/+/"))
    }

    @Test("base64decode ignores whitespace and accepts missing padding")
    func base64DecodeLenient() throws {
        #expect(try TemplateHarness.filter("Zm9v\r\nYmFy\n", "| base64decode") == b("foobar"))
        #expect(try TemplateHarness.filter(" Zm9vYg ", "| base64decode") == b("foob"))
        #expect(try TemplateHarness.filter("Zm9vYmE", "| base64decode") == b("fooba"))
        #expect(try TemplateHarness.filter("Zg==\n", "| base64decode") == b("f"))
    }

    @Test("base64decode refuses what is not base64",
          arguments: [("Zm9v!", 4), ("Zm9v-_", 4), ("Z", 1), ("Zg=", 3), ("Z===", 1), ("Zg==Zg==", 4), ("Zm9vY", 5)])
    func base64DecodeRefuses(payload: String, offset: Int) throws {
        let error = try #require(TemplateHarness.renderError(b("<< secret \"s\" | base64decode >>"), secrets: ["s": b(payload)]))
        #expect(error.message == """
            The `base64decode` filter cannot decode the value of secret `s`: it is not valid base64 at byte offset \(offset).
            """)
        #expect(error.hint == "Only standard base64 (A-Z a-z 0-9 + / and = padding, RFC 4648 section 4) is decoded; whitespace is ignored.")
    }

    // MARK: trim, trimnl

    @Test("trim removes ASCII whitespace at both ends only")
    func trim() throws {
        #expect(try TemplateHarness.filter(" \t\u{0B}\u{0C}\r\n a  b \r\n\t", "| trim") == b("a  b"))
        #expect(try TemplateHarness.filter(" \n\t ", "| trim") == [])
        #expect(try TemplateHarness.filter("", "| trim") == [])
        #expect(try TemplateHarness.filter("\u{00A0}x\u{00A0}", "| trim") == b("\u{00A0}x\u{00A0}"))
    }

    @Test("trimnl removes exactly one trailing newline",
          arguments: [("abc", "abc"), ("abc\n", "abc"), ("abc\n\n", "abc\n"), ("abc\r\n", "abc"),
                      ("abc\r\n\r\n", "abc\r\n"), ("abc\r", "abc\r"), ("\n", ""), ("", ""), ("a\nb ", "a\nb ")])
    func trimNewline(payload: String, expected: String) throws {
        #expect(try TemplateHarness.filter(payload, "| trimnl") == b(expected))
    }

    // MARK: indent

    @Test("indent prefixes every non-empty line, the first one included")
    func indent() throws {
        #expect(try TemplateHarness.filter("a\nb", "| indent 2") == b("  a\n  b"))
        #expect(try TemplateHarness.filter("a\n\nb\n", "| indent 2") == b("  a\n\n  b\n"))
        #expect(try TemplateHarness.filter("a\r\n\r\nb\r\n", "| indent 3") == b("   a\r\n\r\n   b\r\n"))
        #expect(try TemplateHarness.filter("a\n \nb", "| indent 1") == b(" a\n  \n b"))
        #expect(try TemplateHarness.filter("\n\nx\n\n", "| indent 2") == b("\n\n  x\n\n"))
        #expect(try TemplateHarness.filter("a\rb", "| indent 2") == b("  a\rb"))
        #expect(try TemplateHarness.filter("", "| indent 4") == [])
        #expect(try TemplateHarness.filter("a\nb\n", "| indent 0") == b("a\nb\n"))
        #expect(try TemplateHarness.filter("a", "| indent 256") == b(String(repeating: " ", count: 256) + "a"))
    }

    @Test("indent fits a multi-line PEM into a YAML block scalar")
    func indentPEM() throws {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nc2VjcmV0c21pdGg=\n-----END PRIVATE KEY-----\n"
        let rendered = try TemplateHarness.render("key: |\n<< secret \"k\" | indent 2 >>other: 1\n", secrets: ["k": pem])
        #expect(rendered == b("""
            key: |
              -----BEGIN PRIVATE KEY-----
              MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
              c2VjcmV0c21pdGg=
              -----END PRIVATE KEY-----
            other: 1

            """))
    }

    // MARK: shell

    @Test("shell writes one POSIX single-quoted word",
          arguments: [("abc", "'abc'"), ("", "''"), ("it's", #"'it'\''s'"#), ("''", #"''\'''\'''"#),
                      ("$(touch X) ${X} `x` \\ \"q\" #", "'$(touch X) ${X} `x` \\ \"q\" #'"),
                      ("a\nb\r\n", "'a\nb\r\n'"), ("trailing\\", "'trailing\\'"), ("é", "'é'")])
    func shell(payload: String, expected: String) throws {
        #expect(try TemplateHarness.filter(payload, "| shell") == b(expected))
    }

    @Test("shell refuses a NUL byte")
    func shellRefusesNUL() throws {
        let error = try #require(TemplateHarness.renderError(b("<< secret \"s\" | shell >>"), secrets: ["s": [0x61, 0x00]]))
        #expect(error.message == "The `shell` filter cannot quote the value of secret `s`: it contains a NUL byte at byte offset 1, which no shell word can hold.")
        #expect(error.hint == "Use `base64` to carry binary data.")
    }

    // MARK: urlquery

    @Test("urlquery keeps RFC 3986 unreserved characters and encodes the rest",
          arguments: [("AZaz09-._~", "AZaz09-._~"), ("a b&c=d/é~", "a%20b%26c%3Dd%2F%C3%A9~"),
                      ("+%?#[]@!$'()*,;:", "%2B%25%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B%3A"),
                      ("\n", "%0A"), ("", "")])
    func urlQuery(payload: String, expected: String) throws {
        #expect(try TemplateHarness.filter(payload, "| urlquery") == b(expected))
        #expect(try TemplateHarness.filter([0x00, 0xFF], "| urlquery") == b("%00%FF"))
    }

    // MARK: chains

    @Test("filters apply left to right")
    func chains() throws {
        #expect(try TemplateHarness.filter("aGkK", "| base64decode | json") == b(#""hi\n""#))
        #expect(try TemplateHarness.filter("aGkK", "| base64decode | trimnl | json") == b(#""hi""#))
        #expect(try TemplateHarness.filter("  x\n", "| trimnl | shell") == b("'  x'"))
        #expect(try TemplateHarness.filter("a\nb", "| json | indent 2") == b(#"  "a\nb""#))
        #expect(try TemplateHarness.filter("a\nb", "|indent 2|base64") == b("ICBhCiAgYg=="))
        #expect(try TemplateHarness.filter([0x00, 0xFF], "| base64 | json") == b(#""AP8=""#))
    }
}
