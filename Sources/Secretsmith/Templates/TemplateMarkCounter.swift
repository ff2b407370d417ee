#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import YAML

/// Turns byte offsets of a template into 1-based line and column marks, incrementally.
///
/// Lines end at `\n` (a `\r` before it is the last character of its line). Columns count
/// Unicode scalars, like ``Mark`` and the YAML module: every byte that is not a UTF-8
/// continuation byte (`10xxxxxx`) starts a column, so in valid UTF-8 each scalar counts
/// once, and in invalid UTF-8 each stray lead or ASCII byte counts once. A UTF-8 byte
/// order mark at the very start occupies no column.
///
/// Offsets must be asked for in increasing order; the work done over a whole template is
/// linear in its size. The template may be given whole or in consecutive windows (chunks
/// of a file read piece by piece): each call passes the window holding the bytes from the
/// last offset asked for up to the new one.
struct TemplateMarkCounter {
    /// The offset up to which `line` and `column` are known.
    private var offset: Int
    private var line = 1
    private var column = 1

    /// - Parameter buffer: The template bytes (all of them, or at least their first three),
    ///   to skip a leading byte order mark.
    init(buffer: UnsafeBufferPointer<UInt8>) {
        self.init(skipsByteOrderMark: Self.startsWithByteOrderMark(buffer))
    }

    /// - Parameter skipsByteOrderMark: Whether the template starts with a UTF-8 byte order
    ///   mark, whose three bytes take no column.
    init(skipsByteOrderMark: Bool) {
        offset = skipsByteOrderMark ? 3 : 0
    }

    /// Whether `buffer` starts with a UTF-8 byte order mark (`EF BB BF`).
    static func startsWithByteOrderMark(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF
    }

    /// The mark of the byte at `target`.
    ///
    /// - Parameters:
    ///   - target: A byte offset in the template, not smaller than any offset asked for
    ///     before.
    ///   - window: Bytes of the template, `base..<base + window.count`, covering every
    ///     offset from the last one asked for (or advanced to) up to `target`.
    ///   - base: The offset in the template of `window`'s first byte.
    mutating func mark(at target: Int, in window: UnsafeBufferPointer<UInt8>, base: Int = 0) -> Mark {
        precondition(target >= offset, "marks must be asked for in increasing order")
        advance(to: target, in: window, base: base)
        return Mark(line: line, column: column)
    }

    /// Counts lines and columns up to `target` (no change when it is not past the offset
    /// counted to), as ``mark(at:in:base:)`` does without making a mark.
    mutating func advance(to target: Int, in window: UnsafeBufferPointer<UInt8>, base: Int = 0) {
        guard target > offset else { return }
        precondition(offset >= base && target <= base + window.count, "the window must cover the bytes counted")
        guard let windowStart = window.baseAddress else { return }
        // Offsets below are relative to the window.
        let end = target - base
        // Count newlines with memchr, remembering where the last one was.
        var scan = offset - base
        var lineStart = -1
        while scan < end, let found = memchr(windowStart + scan, 0x0A, end - scan) {
            let index = windowStart.distance(to: found.assumingMemoryBound(to: UInt8.self))
            line += 1
            lineStart = index + 1
            scan = index + 1
        }
        var start = offset - base
        if lineStart >= 0 {
            column = 1
            start = lineStart
        }
        column += Self.columnCount(in: start..<end, of: windowStart)
        offset = target
    }

    /// How many bytes of `range` start a column: those that are not UTF-8 continuation
    /// bytes (`10xxxxxx`). Eight bytes at a time: a continuation byte is one whose top bit
    /// is set and whose next bit is clear.
    static func columnCount(in range: Range<Int>, of base: UnsafePointer<UInt8>) -> Int {
        let raw = UnsafeRawPointer(base)
        var count = 0
        var index = range.lowerBound
        while index + 8 <= range.upperBound {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let continuation = word & ~(word << 1) & 0x8080_8080_8080_8080
            count += 8 - continuation.nonzeroBitCount
            index += 8
        }
        while index < range.upperBound {
            if base[index] & 0xC0 != 0x80 { count += 1 }
            index += 1
        }
        return count
    }
}
