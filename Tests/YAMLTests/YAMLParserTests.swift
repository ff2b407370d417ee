import Testing
@testable import YAML

private func parse(_ text: String, limits: YAMLLimits = .default) throws(YAMLError) -> YAMLNode? {
    try YAMLParser.parse(Array(text.utf8), file: "test.yaml", limits: limits)
}

private func parseError(_ text: String, limits: YAMLLimits = .default) -> YAMLError? {
    do {
        _ = try parse(text, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite("YAMLParser")
struct YAMLParserTests {
    @Test("an error at the end of an input without a final newline is placed on its last line")
    func errorAtEndWithoutFinalNewline() throws {
        // libyaml puts the stream's end on a line after the last one (fuzz/corpus/configuration/eof-mark-*).
        let error = try #require(parseError("a: 1\nb: {c: 2, é"))
        #expect(error.mark == Mark(line: 2, column: 12))
        #expect(error.message.contains("that starts at 2:4"))
        let withNewline = try #require(parseError("a: 1\nb: {c: 2\n"))
        #expect(withNewline.mark == Mark(line: 3, column: 1))
        // Lines counted as libyaml counts them: a lone \r ends one too.
        let carriageReturns = try #require(parseError("a: 1\rb: 2\rc: {d: 3"))
        #expect(carriageReturns.mark == Mark(line: 3, column: 9))
    }

    @Test("nested nodes carry 1-based line and column marks")
    func marksOnNestedNodes() throws {
        let text = """
        top:
          inner:
            - first
            - key: "value"
        other: [a, b]
        """
        let root = try #require(try parse(text))
        #expect(root.mark == Mark(line: 1, column: 1))
        let pairs = try #require(root.mappingPairs)
        #expect(pairs[0].key.mark == Mark(line: 1, column: 1))
        let inner = try #require(root["top"]?["inner"])
        #expect(inner.mark == Mark(line: 3, column: 5))
        let items = try #require(inner.sequence)
        #expect(items[0].scalarValue == "first")
        #expect(items[0].mark == Mark(line: 3, column: 7))
        let value = try #require(items[1]["key"])
        #expect(value.mark == Mark(line: 4, column: 12))
        #expect(value.scalar?.style == .doubleQuoted)
        let flow = try #require(root["other"]?.sequence)
        #expect(flow[1].mark == Mark(line: 5, column: 12))
        #expect(pairs[1].key.scalarValue == "other")
    }

    @Test("a plain scalar on one line gives where its text starts; others do not")
    func textMarks() throws {
        let root = try #require(try parse("a: é x\nb: &n !!str  value  # note\nc: 'q'\nd: one\n  two\ne: *n\n"))
        #expect(root["a"]?.textMark == Mark(line: 1, column: 4))
        #expect(root["b"]?.mark == Mark(line: 2, column: 4))
        #expect(root["b"]?.textMark == Mark(line: 2, column: 14))
        #expect(root["c"]?.textMark == nil)
        #expect(root["d"]?.scalarValue == "one two")
        #expect(root["d"]?.textMark == nil)
        #expect(root["e"]?.textMark == Mark(line: 2, column: 14))
    }

    @Test("scalars stay strings: no YAML 1.1 typing")
    func scalarsAreUntyped() throws {
        let root = try #require(try parse("no: on\nmode: 0600\nnull_: ~\nversion: 3\n"))
        let pairs = try #require(root.mappingPairs)
        #expect(pairs.map { $0.key.scalarValue } == ["no", "mode", "null_", "version"])
        #expect(root["no"]?.scalarValue == "on")
        #expect(root["mode"]?.scalarValue == "0600")
        #expect(root["null_"]?.isNull == true)
        #expect(root["version"]?.scalarValue == "3")
    }

    @Test("tags are kept, with libyaml's resolution of !! shorthands")
    func tagsKept() throws {
        let root = try #require(try parse("a: !!str 12\nb: !custom x\nc: plain\n"))
        #expect(root["a"]?.tag == "tag:yaml.org,2002:str")
        #expect(root["b"]?.tag == "!custom")
        #expect(root["c"]?.tag == nil)
    }

    @Test("a syntax error carries libyaml's problem text, context and position")
    func syntaxError() throws {
        let error = try #require(parseError("a: 1\nb: [1, 2\nc: 3\n"))
        #expect(error.message.contains("did not find expected ',' or ']'"))
        #expect(error.message.contains("while parsing a flow sequence that starts at 2:4"))
        #expect(error.mark == Mark(line: 3, column: 2))
        #expect(error.description.hasPrefix("test.yaml:3:2: invalid YAML"))
    }

    @Test("bad indentation reports libyaml's problem")
    func indentationError() throws {
        let error = try #require(parseError("a:\n  b: 1\n c: 2\n"))
        #expect(error.message.contains("did not find expected key"))
        #expect(error.mark == Mark(line: 3, column: 2))
    }

    @Test("a duplicate key is refused, naming the key and both positions")
    func duplicateKey() throws {
        let error = try #require(parseError("outer:\n  name: a\n  other: b\n  name: c\n"))
        #expect(error.message.contains("duplicate key \"name\""))
        #expect(error.message.contains("2:3"))
        #expect(error.mark == Mark(line: 4, column: 3))
    }

    @Test("quoted and plain spellings of the same key are duplicates")
    func duplicateQuotedKey() throws {
        let error = try #require(parseError("{a: 1, 'a': 2}"))
        #expect(error.message.contains("duplicate key \"a\""))
    }

    @Test("anchors and aliases are resolved")
    func aliases() throws {
        let root = try #require(try parse("base: &b {x: 1, y: [p, q]}\ncopy: *b\nname: &n hello\nagain: *n\n"))
        #expect(root["copy"]?["y"]?.sequence?.map(\.scalarValue) == ["p", "q"])
        #expect(root["again"]?.scalarValue == "hello")
        // an alias keeps the anchored node's position (which starts at its anchor)
        #expect(root["copy"]?.mark == Mark(line: 1, column: 7))
    }

    @Test("an undefined or self-referencing alias is refused")
    func undefinedAlias() throws {
        let undefined = try #require(parseError("a: *nothing\n"))
        #expect(undefined.message.contains("*nothing"))
        #expect(undefined.mark == Mark(line: 1, column: 4))
        let recursive = try #require(parseError("a: &x [1, *x]\n"))
        #expect(recursive.message.contains("*x"))
    }

    @Test("merge keys: a mapping, a sequence of mappings, explicit keys win")
    func mergeKeys() throws {
        let text = """
        base: &base {a: 1, b: 2}
        more: &more {b: 20, c: 30, d: 40}
        one:
          <<: *base
          b: explicit
        two:
          x: 0
          <<: [*base, *more]
          d: mine
        """
        let root = try #require(try parse(text))
        let one = try #require(root["one"]?.mappingPairs)
        #expect(one.map(\.key.scalarValue) == ["a", "b"])
        #expect(root["one"]?["a"]?.scalarValue == "1")
        #expect(root["one"]?["b"]?.scalarValue == "explicit")
        let two = try #require(root["two"]?.mappingPairs)
        #expect(two.map(\.key.scalarValue) == ["x", "a", "b", "c", "d"])
        #expect(root["two"]?["b"]?.scalarValue == "2")  // the earlier mapping wins
        #expect(root["two"]?["c"]?.scalarValue == "30")
        #expect(root["two"]?["d"]?.scalarValue == "mine")
        #expect(root["two"]?["a"]?.mark == Mark(line: 1, column: 17))
    }

    @Test("a merge key with a scalar value is refused; a quoted << is an ordinary key")
    func badMerge() throws {
        let error = try #require(parseError("a:\n  <<: text\n"))
        #expect(error.message.contains("merge key"))
        #expect(error.mark == Mark(line: 2, column: 7))
        let quoted = try #require(try parse("a:\n  '<<': text\n"))
        #expect(quoted["a"]?["<<"]?.scalarValue == "text")
    }

    @Test("an empty input or one with only comments holds no document")
    func noDocument() throws {
        #expect(try parse("") == nil)
        #expect(try parse("# just a comment\n\n") == nil)
        let empty = try #require(try parse("---\n"))
        #expect(empty.isNull)
    }

    @Test("more than one document is refused")
    func multipleDocuments() throws {
        let error = try #require(parseError("a: 1\n---\nb: 2\n"))
        #expect(error.message.contains("more than one YAML document"))
        #expect(error.mark == Mark(line: 2, column: 1))
        #expect(try parse("---\na: 1\n...\n")?["a"]?.scalarValue == "1")
    }
}
