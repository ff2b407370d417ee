import Secretsmith
import Testing
import YAML

/// Near misses and bad arguments: exact positions, messages and hints.
@Suite("Template errors")
struct TemplateErrorTests {
    private func b(_ text: String) -> [UInt8] { TemplateHarness.bytes(text) }

    /// The description of the error parsing `template` throws.
    private func describe(_ template: String) throws -> String {
        let error = try #require(TemplateHarness.parseError(template))
        #expect(error.kind == .configuration)
        #expect(error.path == TemplateHarness.path)
        return error.description
    }

    private let prefix = "templates/app.tmpl:"

    @Test("an unknown word in keyword position is a near miss with a did-you-mean hint")
    func nearMiss() throws {
        #expect(try describe(#"<< secrte "a/b" >>"#) == prefix + "1:1: `secrte` is not a template action. Did you mean `secret`?")
        #expect(try describe(#"x: << Env "HOME" >>"#) == prefix + "1:4: `Env` is not a template action. Did you mean `env`?")
        #expect(try describe(#"<< secrets"a/b" | json >>"#) == prefix + "1:1: `secrets` is not a template action. Did you mean `secret`?")
        #expect(try describe(#"<< password "a" >>"#) == prefix + #"1:1: `password` is not a template action. Actions are `secret` and `env`; write << "<<" >> for a literal `<<`."#)
    }

    @Test("columns count Unicode scalars and lines end at LF, CRLF included")
    func positions() throws {
        #expect(try describe("héllo ✓ << secrte \"a\" >>") == prefix + "1:9: `secrte` is not a template action. Did you mean `secret`?")
        #expect(try describe("a\r\nb\r\n\t << secert \"x\" >>\r\n") == prefix + "3:3: `secert` is not a template action. Did you mean `secret`?")
        #expect(try describe("<< secret \"ok\" >>\n\n😀<< envv \"X\" >>") == prefix + "3:2: `envv` is not a template action. Did you mean `env`?")
    }

    @Test("a keyword action without its closing >> is unterminated")
    func unterminated() throws {
        let hint = #"End it with `>>`; write << "<<" >> for a literal `<<`."#
        #expect(try describe("line1\n  << secret \"a/b\" | trim\nnext >>") == prefix + "2:3: The `secret` action has no closing `>>` on its line. " + hint)
        #expect(try describe(#"<< secret "a/b""#) == prefix + "1:1: The `secret` action has no closing `>>` on its line. " + hint)
        #expect(try describe("<< env \"X\"\r\n") == prefix + "1:1: The `env` action has no closing `>>` on its line. " + hint)
        #expect(try describe("<< secret \"a\" >") == prefix + "1:1: The `secret` action has no closing `>>` on its line. " + hint)
        #expect(try describe("<< secret \"a\" | json >\n>>") == prefix + "1:1: The `secret` action has no closing `>>` on its line. " + hint)
    }

    @Test("an unterminated string in a keyword action")
    func unterminatedString() throws {
        #expect(try describe("<< secret \"a/b >>\nx") == prefix + #"1:1: The quoted string of this `secret` action has no closing `"` on its line. Escape a `"` inside a string as `\"` and a backslash as `\\`."#)
        #expect(try describe(#"<< env "X\" >>"#) == prefix + #"1:1: The quoted string of this `env` action has no closing `"` on its line. Escape a `"` inside a string as `\"` and a backslash as `\\`."#)
    }

    @Test("unknown filters get a did-you-mean hint",
          arguments: [("b64", "Did you mean `base64`?"), ("jsno", "Did you mean `json`?"),
                      ("JSON", "Did you mean `json`?"), ("base64decod", "Did you mean `base64decode`?"),
                      ("urlencode", "Did you mean `urlquery`?"), ("nindent", "Did you mean `indent`?"),
                      ("trimnk", "Did you mean `trimnl`?"), ("trimn", "Did you mean `trim`?"), ("quote", "Did you mean `shell`?"),
                      ("upper", "Filters are json, base64, base64decode, trim, trimnl, indent N, shell and urlquery.")])
    func unknownFilter(name: String, hint: String) throws {
        #expect(try describe("ab << secret \"a\" | trim | \(name) >>") == prefix + "1:4: Unknown filter `\(name)`. " + hint)
    }

    @Test("a missing filter name")
    func missingFilterName() throws {
        #expect(try describe(#"<< secret "a" | >>"#) == prefix + "1:1: Expected a filter name after `|`. Filters are json, base64, base64decode, trim, trimnl, indent N, shell and urlquery.")
        #expect(try describe(#"<< secret "a" || json >>"#) == prefix + "1:1: Expected a filter name after `|`. Filters are json, base64, base64decode, trim, trimnl, indent N, shell and urlquery.")
    }

    @Test("indent needs a whole number from 0 to 256")
    func badIndent() throws {
        let example = "For example `| indent 4`."
        #expect(try describe(#"<< secret "a" | indent >>"#) == prefix + "1:1: The `indent` filter needs a number of spaces. " + example)
        #expect(try describe(#"<< secret "a" | indent | json >>"#) == prefix + "1:1: The `indent` filter needs a number of spaces. " + example)
        for token in ["x", "-1", "4.5", "\"4\"", "+2", "0x10"] {
            #expect(try describe("<< secret \"a\" | indent \(token) >>") == prefix + "1:1: The `indent` filter needs a whole number of spaces from 0 to 256, not `\(token)`. " + example)
        }
        #expect(try describe(#"<< secret "a" | indent 257 >>"#) == prefix + "1:1: The `indent` count 257 is larger than 256 spaces.")
        #expect(try describe(#"<< secret "a" | indent 99999999999999999999999 >>"#) == prefix + "1:1: The `indent` count 99999999999999999999999 is larger than 256 spaces.")
    }

    @Test("extra tokens")
    func extraTokens() throws {
        #expect(try describe(#"<< secret "a" "b" >>"#) == prefix + "1:1: Unexpected second quoted string in the `secret` action. An action takes one quoted argument; filters follow a `|`.")
        #expect(try describe(#"<< secret "a" json >>"#) == prefix + "1:1: Unexpected `json` in the `secret` action. Did you mean `| json`?")
        #expect(try describe(#"<< secret "a" | json 2 >>"#) == prefix + "1:1: Unexpected `2` after the `json` filter, which takes no argument. Filters are separated by `|`; the action ends with `>>`.")
        #expect(try describe(#"<< secret "a" | json trim >>"#) == prefix + "1:1: Unexpected `trim` in the `secret` action. Did you mean `| trim`?")
        #expect(try describe(#"<< secret "a" | indent 2 3 >>"#) == prefix + "1:1: Unexpected `3` in the `secret` action. Filters follow a `|`; the action ends with `>>`.")
        #expect(try describe(#"<< env "A" : >>"#) == prefix + "1:1: Unexpected `:` in the `env` action. Filters follow a `|`; the action ends with `>>`.")
        #expect(try describe(#"<< env "A" é >>"#) == prefix + "1:1: Unexpected `é` in the `env` action. Filters follow a `|`; the action ends with `>>`.")
    }

    @Test("a keyword without a quoted argument")
    func missingArgument() throws {
        #expect(try describe("<< secret billing/db >>") == prefix + #"1:1: The `secret` action needs a quoted secret reference. Quote it: << secret "billing/db" >>."#)
        #expect(try describe("<< env >>") == prefix + #"1:1: The `env` action needs a quoted variable name. For example << env "HOSTNAME" >>."#)
        #expect(try describe("<< secret | json >>") == prefix + #"1:1: The `secret` action needs a quoted secret reference. For example << secret "billing/db-password" >>."#)
    }

    @Test("unknown escapes in strings")
    func badEscape() throws {
        let hint = #"Only `\"` and `\\` are escapes in template strings."#
        #expect(try describe(#"<< secret "a\nb" >>"#) == prefix + #"1:1: Unknown escape `\n` in a quoted string. "# + hint)
        #expect(try describe(#"x << "\t" >>"#) == prefix + #"1:3: Unknown escape `\t` in a quoted string. "# + hint)
        #expect(try describe(#"<< env "\é" >>"#) == prefix + #"1:1: Unknown escape `\é` in a quoted string. "# + hint)
    }

    @Test("empty and invalid arguments")
    func badArguments() throws {
        #expect(try describe(#"<< secret "" >>"#) == prefix + "1:1: The `secret` action has an empty reference.")
        #expect(try describe(#"<< env "" >>"#) == prefix + "1:1: The `env` action has an empty variable name.")
        #expect(try describe(#"<< env "A=B" >>"#) == prefix + "1:1: `A=B` is not a valid environment variable name. Names cannot contain `=` or a NUL byte.")
        let invalid = b("<< secret \"a") + [0xFF] + b("\" >>")
        #expect(throws: TemplateError(path: "t", mark: Mark(line: 1, column: 1),
                                      message: "The reference of this `secret` action is not valid UTF-8.")) {
            _ = try Template.parse(invalid, path: "t")
        }
    }

    @Test("problems(in:) reports every problem, not only the first")
    func allProblems() throws {
        let text = "<< secrte \"a\" >>\nok << secret \"x\" >>\n<< secret \"y\" | bogus >> << env \"\" >>\n<< secret \"z\"\n"
        let problems = Template.problems(in: b(text), path: "t")
        #expect(problems.map(\.mark) == [Mark(line: 1, column: 1), Mark(line: 3, column: 1), Mark(line: 3, column: 26), Mark(line: 4, column: 1)])
        #expect(problems.map(\.message) == [
            "`secrte` is not a template action.", "Unknown filter `bogus`.",
            "The `env` action has an empty variable name.", "The `secret` action has no closing `>>` on its line.",
        ])
        #expect(throws: problems[0]) { _ = try Template.parse(b(text), path: "t") }
    }

    @Test("render errors never contain the value")
    func noValueInErrors() throws {
        let sentinel = "SENTINEL-7f3a"
        let cases: [(String, [UInt8])] = [
            ("| json", b(sentinel) + [0xFF]), ("| base64decode", b(sentinel)), ("| shell", b(sentinel) + [0]),
        ]
        for (filters, payload) in cases {
            let error = try #require(TemplateHarness.renderError(b("<< secret \"s\" \(filters) >>"), secrets: ["s": payload]))
            #expect(!error.description.contains(sentinel))
            #expect(!error.description.contains("7f3a"))
        }
        let error = try #require(TemplateHarness.renderError(b("<< env \"X\" | base64decode >>"), environment: ["X": sentinel]))
        #expect(error.description == "templates/app.tmpl:1:1: The `base64decode` filter cannot decode the value of environment variable `X`: it is not valid base64 at byte offset 8. Only standard base64 (A-Z a-z 0-9 + / and = padding, RFC 4648 section 4) is decoded; whitespace is ignored.")
    }
}
