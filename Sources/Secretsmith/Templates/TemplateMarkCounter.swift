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
/// linear in its size.
struct TemplateMarkCounter {
    /// The offset up to which `line` and `column` are known.
    private var offset: Int
    private var line = 1
    private var column = 1

    /// - Parameter buffer: The template bytes, to skip a leading byte order mark.
    init(buffer: UnsafeBufferPointer<UInt8>) {
        let hasByteOrderMark = buffer.count >= 3
            && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF
        offset = hasByteOrderMark ? 3 : 0
    }

    /// The mark of the byte at `target`.
    ///
    /// - Parameters:
    ///   - target: A byte offset, not smaller than any offset asked for before.
    ///   - buffer: The same template bytes as at every call.
    mutating func mark(at target: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Mark {
        precondition(target >= offset, "marks must be asked for in increasing order")
        guard let base = buffer.baseAddress else { return Mark(line: line, column: column) }
        // Count newlines with memchr, remembering where the last one was.
        var scan = offset
        var lineStart = -1
        while scan < target, let found = memchr(base + scan, 0x0A, target - scan) {
            let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            line += 1
            lineStart = index + 1
            scan = index + 1
        }
        var start = offset
        if lineStart >= 0 {
            column = 1
            start = lineStart
        }
        column += Self.columnCount(in: start..<target, of: base)
        offset = target
        return Mark(line: line, column: column)
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
