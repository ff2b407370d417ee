#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import YAML

/// Splits template bytes into text, literal and action segments (README "Templates").
///
/// It finds each `<<` with `memchr` and decides what it is:
/// - a run of three or more `<` (`<<<` here-strings, `<<<<`) is text;
/// - `<<`, blanks, a quoted string, blanks, `>>` is a literal action (no filters);
/// - `<<`, blanks, `secret` or `env`, then a blank or `"`, is a keyword action (parsed by
///   the `TemplateParser+Action.swift` extension) — except that when no `"` follows the
///   keyword and its line has no `>>` (`std::cout << secret << '\n';`) it is text;
/// - `<<`, blanks, another word starting with a letter, blanks, a complete quoted string,
///   and a `>>` later on the same line is a near miss and an error;
/// - anything else (heredocs, C++ stream operators, YAML merge keys) is text.
///
/// Blanks are spaces and tabs. Nothing of an action spans lines: a `\n` before its `>>`
/// makes it unterminated.
///
/// A template is parsed in one window (all of it in memory) or in several, one after the
/// other, each ending at a line end (a chunk of a file read piece by piece): since nothing
/// of an action spans lines, a window boundary after a `\n` changes nothing. Offsets inside
/// the parser are relative to the current window; the segments and marks it records are
/// offsets of the whole template.
struct TemplateParser {
    /// The current window of the template: its bytes `base..<base + buffer.count`.
    private(set) var buffer: UnsafeBufferPointer<UInt8>
    /// The offset in the template of the window's first byte.
    private(set) var base = 0
    let path: String
    var marks: TemplateMarkCounter
    /// The offset in the template where the text of the next segment starts.
    private var textStart = 0
    /// Whether parsing stopped at the first error.
    private(set) var stopped = false
    /// The parsed segments, in order; only meaningful when `errors` is empty.
    private(set) var segments: [TemplateSegment] = []
    /// The distinct actions (source and filters), in order of first use, each with the
    /// position of its first use.
    private(set) var actions: [TemplateAction] = []
    /// How many times each of `actions` is used.
    private(set) var actionUses: [Int] = []
    /// The decoded strings of every literal, one after the other.
    private(set) var literalBytes: [UInt8] = []
    /// Each literal's range of `literalBytes`, in order.
    private(set) var literalRanges: [Range<Int>] = []
    /// The index in `actions` of each distinct source and filters.
    private var actionIndex: [ActionKey: Int32] = [:]
    /// The index in `actions` of each action text (`<<` to `>>`) parsed so far, so an
    /// action written again byte for byte is not parsed again (a large template repeats a
    /// few placeholders many times).
    private var parsedTexts: [RawText: Int32] = [:]
    /// Every problem found, in order.
    private(set) var errors: [TemplateError] = []
    /// One `String` per distinct action argument, shared by every action that repeats it,
    /// so a template with a million placeholders of a few references holds a few strings.
    var interned: [InternKey: String] = [:]
    /// The last `closeOnLine(from:)` search: its start, its line's end, and its answer.
    private var closeSearch: (from: Int, lineEnd: Int, found: Int?) = (-1, -1, nil)

    /// An action argument's bytes as a dictionary key, hashed in one pass over the bytes
    /// (an array of bytes hashes element by element).
    struct InternKey: Hashable {
        var bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// An action's source and filters: what its value depends on.
    struct ActionKey: Hashable {
        var source: TemplateAction.Source
        var filters: [TemplateFilter]
    }

    /// The bytes of an action as written, `<<` to `>>`, as a dictionary key: hashed and
    /// compared as bytes of the template being parsed (only valid while it is).
    struct RawText: Hashable {
        let base: UnsafePointer<UInt8>
        let start: Int
        let count: Int

        func hash(into hasher: inout Hasher) {
            hasher.combine(bytes: UnsafeRawBufferPointer(start: base + start, count: count))
        }

        static func == (lhs: RawText, rhs: RawText) -> Bool {
            lhs.count == rhs.count && memcmp(lhs.base + lhs.start, rhs.base + rhs.start, lhs.count) == 0
        }
    }

    /// What a `<<` turned out to be.
    enum Outcome {
        case passThrough
        case literal([UInt8], end: Int)
        case action(TemplateAction.Source, filters: [TemplateFilter], end: Int)
        case failure(TemplateError)
    }

    /// A quoted string as scanned: its decoded bytes and where it ends.
    struct QuotedString {
        /// The bytes between the quotes with `\"` and `\\` decoded.
        var content: [UInt8]
        /// The offset just past the closing quote.
        var end: Int
        /// The offset of the first backslash that starts an unknown escape, if any.
        var badEscape: Int?
    }

    static let lessThan = UInt8(ascii: "<")
    static let greaterThan = UInt8(ascii: ">")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let pipe = UInt8(ascii: "|")
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D

    /// Parses a whole template.
    ///
    /// - Parameters:
    ///   - bytes: The template.
    ///   - path: The template's path, for errors.
    ///   - stopAtFirstError: Whether to stop at the first problem instead of collecting all.
    /// - Returns: The parser after its run: its segments, actions and literals (complete
    ///   only without errors) and the problems found. Its `buffer` is no longer valid.
    static func parse(_ bytes: [UInt8], path: String, stopAtFirstError: Bool) -> TemplateParser {
        bytes.withUnsafeBufferPointer { buffer in
            var parser = TemplateParser(path: path, skipsByteOrderMark: TemplateMarkCounter.startsWithByteOrderMark(buffer))
            if let error = sizeError(buffer.count, path: path) {
                parser.errors.append(error)
                return parser
            }
            parser.scan(window: buffer, base: 0, isLast: true, stopAtFirstError: stopAtFirstError)
            parser.finish(size: buffer.count)
            return parser
        }
    }

    /// A parser before its first window.
    ///
    /// - Parameter skipsByteOrderMark: whether the template starts with a UTF-8 byte
    ///   order mark (which takes no column).
    init(path: String, skipsByteOrderMark: Bool) {
        self.buffer = UnsafeBufferPointer(start: nil, count: 0)
        self.path = path
        self.marks = TemplateMarkCounter(skipsByteOrderMark: skipsByteOrderMark)
    }

    /// The error for a template of `size` bytes when it is 4 GiB or more (offsets are 32-bit).
    static func sizeError(_ size: Int, path: String) -> TemplateError? {
        guard size > Int(UInt32.max) else { return nil }
        return TemplateError(
            path: path, mark: Mark(line: 1, column: 1),
            message: "The template is \(size) bytes; templates must be smaller than 4 GiB.")
    }

    /// Parses the next window of the template: bytes `base..<base + window.count`, which
    /// directly follow the previous window and end with a `\n` unless `isLast`. The window
    /// is not used after this call returns.
    mutating func scan(window: UnsafeBufferPointer<UInt8>, base: Int, isLast: Bool, stopAtFirstError: Bool) {
        guard !stopped else { return }
        buffer = window
        self.base = base
        run(stopAtFirstError: stopAtFirstError)
        // Keys and cached answers point into this window.
        parsedTexts.removeAll(keepingCapacity: true)
        closeSearch = (-1, -1, nil)
        if !isLast {
            // Lines and columns counted to the window's end, for marks in later windows.
            marks.advance(to: base + window.count, in: window, base: base)
        }
        buffer = UnsafeBufferPointer(start: nil, count: 0)
    }

    /// Ends the parse: the text after the last action, to the end of the template of
    /// `size` bytes.
    mutating func finish(size: Int) {
        segments.append(TemplateSegment(text: textStart..<size, item: TemplateSegment.noItem))
    }

    private mutating func run(stopAtFirstError: Bool) {
        var index = 0
        while let start = nextDoubleLessThan(from: index) {
            var runEnd = start + 2
            while runEnd < buffer.count && buffer[runEnd] == Self.lessThan { runEnd += 1 }
            if runEnd - start > 2 {
                index = runEnd
                continue
            }
            // The same bytes from `<<` to `>>` parse the same way wherever they are.
            let firstClose = firstCloseOnLine(after: start)
            if let firstClose, let known = parsedTexts[RawText(base: buffer.baseAddress!, start: start, count: firstClose + 2 - start)] {
                segments.append(TemplateSegment(text: textStart..<(base + start), item: known))
                actionUses[Int(known)] += 1
                index = firstClose + 2
                textStart = base + index
                continue
            }
            switch classify(at: start) {
            case .passThrough:
                index = start + 2
            case .literal(let content, let end):
                literalRanges.append(literalBytes.count..<(literalBytes.count + content.count))
                literalBytes += content
                segments.append(TemplateSegment(text: textStart..<(base + start), item: Int32(-literalRanges.count)))
                index = end
                textStart = base + end
            case .action(let source, let filters, let end):
                let key = ActionKey(source: source, filters: filters)
                let item: Int32
                if let known = actionIndex[key] {
                    item = known
                    actionUses[Int(known)] += 1
                } else {
                    item = Int32(actions.count)
                    actions.append(TemplateAction(source: source, filters: filters, mark: marks.mark(at: base + start, in: buffer, base: base)))
                    actionUses.append(1)
                    actionIndex[key] = item
                }
                // Remembered when the action ends at the first `>>` of its line (not one
                // inside its quoted string), the bytes the next lookup hashes.
                if end == (firstClose ?? -2) + 2, parsedTexts.count < 65_536 {
                    parsedTexts[RawText(base: buffer.baseAddress!, start: start, count: end - start)] = item
                }
                segments.append(TemplateSegment(text: textStart..<(base + start), item: item))
                index = end
                textStart = base + end
            case .failure(let error):
                errors.append(error)
                if stopAtFirstError {
                    stopped = true
                    return
                }
                index = closeOnLine(from: start + 2).map { $0 + 2 } ?? start + 2
            }
        }
    }

    /// The offset of the first `>>` after the `<<` at `start` on its line, if any (it may
    /// be inside the action's quoted string: then it is not where the action ends).
    private func firstCloseOnLine(after start: Int) -> Int? {
        var scan = start + 2
        while scan + 1 < buffer.count {
            let byte = buffer[scan]
            if byte == Self.lineFeed { return nil }
            if byte == Self.greaterThan && buffer[scan + 1] == Self.greaterThan { return scan }
            scan += 1
        }
        return nil
    }

    /// Decides what the `<<` at `start` is.
    private mutating func classify(at start: Int) -> Outcome {
        let first = skipBlanks(from: start + 2)
        guard first < buffer.count else { return .passThrough }
        let byte = buffer[first]
        if byte == Self.quote {
            guard let string = scanString(at: first) else { return .passThrough }
            let close = skipBlanks(from: string.end)
            guard isClose(at: close) else { return .passThrough }
            if let escape = string.badEscape {
                return .failure(badEscapeError(at: escape, actionStart: start))
            }
            return .literal(string.content, end: close + 2)
        }
        guard Self.isLetter(byte) else { return .passThrough }
        let wordEnd = self.wordEnd(from: first)
        let word = text(first..<wordEnd)
        if word == "secret" || word == "env" {
            guard wordEnd < buffer.count,
                  Self.isBlank(buffer[wordEnd]) || buffer[wordEnd] == Self.quote
            else { return .passThrough }
            return parseKeywordAction(keyword: word, start: start, argumentSearch: wordEnd)
        }
        // A near miss: `<< secrte "a/b" >>`.
        let argument = skipBlanks(from: wordEnd)
        guard argument < buffer.count, buffer[argument] == Self.quote,
              let string = scanString(at: argument), closeOnLine(from: string.end) != nil
        else { return .passThrough }
        let suggestion = TemplateSuggestion.closest(to: word, among: ["secret", "env"])
        return .failure(error(
            at: start,
            "`\(word)` is not a template action.",
            hint: suggestion.map { "Did you mean `\($0)`?" }
                ?? #"Actions are `secret` and `env`; write << "<<" >> for a literal `<<`."#))
    }

    // MARK: Scanning helpers

    /// The offset of the next `<<` at or after `index`, found with `memchr`.
    private func nextDoubleLessThan(from index: Int) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        var index = index
        while index + 1 < buffer.count {
            // Search up to the second-to-last byte, so a match always has a successor.
            guard let found = memchr(base + index, Int32(Self.lessThan), buffer.count - 1 - index) else { return nil }
            let offset = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if buffer[offset + 1] == Self.lessThan { return offset }
            index = offset + 2
        }
        return nil
    }

    /// The offset of the `\n` ending the line that contains `index`, or the end.
    func lineEnd(from index: Int) -> Int {
        guard index < buffer.count, let base = buffer.baseAddress,
              let found = memchr(base + index, Int32(Self.lineFeed), buffer.count - index)
        else { return buffer.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The offset of the first `>>` at or after `index` on the same line, if any.
    ///
    /// The last answer is remembered, so many questions about one long line (a minified
    /// file full of `<<`) cost one pass over it rather than one pass per question.
    mutating func closeOnLine(from index: Int) -> Int? {
        if index >= closeSearch.from && index <= closeSearch.lineEnd {
            guard let found = closeSearch.found else { return nil }
            if found >= index { return found }
        }
        let end = lineEnd(from: index)
        var result: Int?
        var scan = index
        while scan + 1 < end {
            if buffer[scan] == Self.greaterThan && buffer[scan + 1] == Self.greaterThan {
                result = scan
                break
            }
            scan += 1
        }
        closeSearch = (index, end, result)
        return result
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    func skipBlanks(from index: Int) -> Int {
        var index = index
        while index < buffer.count && Self.isBlank(buffer[index]) { index += 1 }
        return index
    }

    /// The end of the run of letters, digits, `_` and `-` starting at `index`.
    func wordEnd(from index: Int) -> Int {
        var index = index
        while index < buffer.count && Self.isWordByte(buffer[index]) { index += 1 }
        return index
    }

    func isClose(at index: Int) -> Bool {
        index + 1 < buffer.count && buffer[index] == Self.greaterThan && buffer[index + 1] == Self.greaterThan
    }

    /// Whether `index` is at the end of a line (`\n`, `\r\n`) or of the template.
    func isLineEnd(at index: Int) -> Bool {
        guard index < buffer.count else { return true }
        let byte = buffer[index]
        return byte == Self.lineFeed
            || (byte == Self.carriageReturn && (index + 1 == buffer.count || buffer[index + 1] == Self.lineFeed))
    }

    /// The template bytes in `range` as text for messages (invalid UTF-8 repaired).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// Scans the quoted string whose `"` is at `index`; nil when no closing `"` comes
    /// before the end of the line. A backslash always takes the next byte with it.
    func scanString(at index: Int) -> QuotedString? {
        var content: [UInt8] = []
        var badEscape: Int?
        var scan = index + 1
        while scan < buffer.count {
            let byte = buffer[scan]
            switch byte {
            case Self.quote:
                return QuotedString(content: content, end: scan + 1, badEscape: badEscape)
            case Self.lineFeed:
                return nil
            case Self.backslash:
                guard scan + 1 < buffer.count, buffer[scan + 1] != Self.lineFeed else { return nil }
                let escaped = buffer[scan + 1]
                if escaped == Self.quote || escaped == Self.backslash {
                    content.append(escaped)
                } else if badEscape == nil {
                    badEscape = scan
                }
                scan += 2
            default:
                content.append(byte)
                scan += 1
            }
        }
        return nil
    }

    // MARK: Errors

    /// An error at the action whose `<<` is at `start`.
    mutating func error(at start: Int, _ message: String, hint: String? = nil) -> TemplateError {
        TemplateError(path: path, mark: marks.mark(at: base + start, in: buffer, base: base), message: message, hint: hint)
    }

    mutating func badEscapeError(at index: Int, actionStart: Int) -> TemplateError {
        // The escaped character may be a multi-byte scalar; show all of it.
        var end = index + 2
        while end < buffer.count && buffer[end] & 0xC0 == 0x80 { end += 1 }
        return error(
            at: actionStart,
            "Unknown escape `\(text(index..<end))` in a quoted string.",
            hint: #"Only `\"` and `\\` are escapes in template strings."#)
    }
}
