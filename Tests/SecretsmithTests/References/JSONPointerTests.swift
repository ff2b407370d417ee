import Testing
@testable import Secretsmith

@Suite("JSONPointer")
struct JSONPointerTests {
    static let payload = Array("""
    {
      "db": { "password": "s3cr\\u00e9t\\n", "port": 5432, "opts": { "ssl": true, "list": [1, 2.5e3, null] } },
      "a/b": "slash", "m~n": "tilde", "": "empty key",
      "servers": [ { "host": "alpha" }, { "host": "beta", "tags": [ "x" , "y z" ] } ],
      "dup": 1, "dup": 2
    }
    """.utf8)

    static func evaluate(_ pointer: String, in payload: [UInt8] = payload) throws -> String {
        let bytes = try JSONPointer(parsing: pointer).evaluate(in: payload)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func failure(_ pointer: String, in payload: [UInt8] = payload) throws -> JSONPointerError? {
        let parsed = try JSONPointer(parsing: pointer)
        do {
            _ = try parsed.evaluate(in: payload)
            return nil
        } catch {
            return error
        }
    }

    @Test("a payload that is not UTF-8 is refused at the first invalid byte's offset")
    func invalidUTF8Offset() throws {
        let payload = Array(#"{"a": 1, "b": ""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let error = try #require(try Self.failure("/a", in: payload))
        #expect(error.message.contains("it is not UTF-8 at byte 15"), "\(error.message)")
    }

    @Test("a string leaf yields its decoded UTF-8 bytes")
    func stringLeaf() throws {
        #expect(try Self.evaluate("/db/password") == "s3cr\u{E9}t\n")
        #expect(try Self.evaluate("/servers/1/host") == "beta")
    }

    @Test("other leaves yield compact JSON in the payload's own spelling")
    func otherLeaves() throws {
        #expect(try Self.evaluate("/db/port") == "5432")
        #expect(try Self.evaluate("/db/opts") == #"{"ssl":true,"list":[1,2.5e3,null]}"#)
        #expect(try Self.evaluate("/db/opts/list") == "[1,2.5e3,null]")
        #expect(try Self.evaluate("/db/opts/list/2") == "null")
        #expect(try Self.evaluate("/servers/1/tags") == #"["x","y z"]"#)
        #expect(try Self.evaluate("") == String(decoding: JSONValue.compact(Self.payload[...]), as: UTF8.self))
    }

    @Test("a combining mark after '/' or '~' does not hide it (fuzz/corpus/reference/combining-mark-*)")
    func combiningMarks() throws {
        let tokens = ["\u{301}app/db", "~\u{301}", "a"]
        let pointer = JSONPointer(tokens: tokens)
        #expect(pointer.description == "/\u{301}app~1db/~0\u{301}/a")
        #expect(try JSONPointer(parsing: pointer.description).tokens == tokens)
        #expect(try JSONPointer(parsing: "/a/\u{301}b").tokens == ["a", "\u{301}b"])
        #expect(throws: ReferenceError.self) { try JSONPointer(parsing: "/~\u{301}") }
    }

    @Test("~1 and ~0 escapes and the empty key")
    func escapes() throws {
        #expect(try Self.evaluate("/a~1b") == "slash")
        #expect(try Self.evaluate("/m~0n") == "tilde")
        #expect(try Self.evaluate("/") == "empty key")
        #expect(try JSONPointer(parsing: "/a~1b/m~0n").tokens == ["a/b", "m~n"])
        #expect(JSONPointer(tokens: ["a/b", "~"]).description == "/a~1b/~0")
        // ~01 is "~1" (not "/"): unescaping goes left to right
        #expect(try JSONPointer(parsing: "/~01").tokens == ["~1"])
    }

    @Test("array indices: no leading zeros, no '-', in range")
    func arrays() throws {
        #expect(try Self.failure("/servers/01")?.message.contains("not an array index") == true)
        #expect(try Self.failure("/servers/-")?.message.contains("after the last") == true)
        #expect(try Self.failure("/servers/2")?.message == "the array at \"/servers\" has no element 2")
        #expect(try Self.failure("/servers/x")?.message.contains("not an array index") == true)
    }

    @Test("missing members and scalars in the way name the pointer, never the payload")
    func missing() throws {
        let error = try #require(try Self.failure("/db/pasword"))
        #expect(error.description == "JSON pointer \"#/db/pasword\": the payload has no member \"pasword\" at \"/db\".")
        #expect(error.kind == .configuration)
        let through = try #require(try Self.failure("/db/password/x"))
        #expect(through.message == "the value at \"/db/password\" is a string, which has no member \"x\"")
        #expect(!through.description.contains("s3cr"))
        let top = try #require(try Self.failure("/nope"))
        #expect(top.message.contains("at the top level"))
        #expect(try Self.failure("/dup")?.message.contains("more than once") == true)
    }

    @Test("a payload that is not JSON is refused without quoting it", arguments: [
        "s3cret-value", "{\"a\": 1,}", "{\"a\" 1}", "[1, 2", "\"unterminated", "{\"a\": 01}", "{\"a\": tru}",
        "{\"a\": \"\\ud800\"}", "{\"a\": \"bad \\x escape\"}", "{} extra", "",
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
    ])
    func notJSON(payload: String) throws {
        let error = try #require(try Self.failure("/a", in: Array(payload.utf8)))
        #expect(error.message.hasPrefix("the secret's payload is not valid JSON"))
        if !payload.isEmpty { #expect(!error.description.contains(payload)) }
    }

    @Test("invalid UTF-8 and raw control characters are not JSON; a BOM is skipped")
    func bytes() throws {
        #expect(try Self.failure("/a", in: Array("{\"a\": \"".utf8) + [0xFF] + Array("\"}".utf8)) != nil)
        #expect(try Self.failure("/a", in: Array("{\"a\": \"x\ny\"}".utf8)) != nil)
        #expect(try Self.evaluate("/a", in: [0xEF, 0xBB, 0xBF] + Array("{\"a\": \"ok\"}".utf8)) == "ok")
        #expect(try Self.evaluate("/a", in: Array("{\"a\": \"\\ud83d\\ude00\"}".utf8)) == "😀")
    }
}
