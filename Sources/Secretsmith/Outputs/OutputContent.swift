#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The content of one output file: one buffer, or a rendered template's pieces (slices of
/// the template and the values of its actions, in order) that are written to the file and
/// compared with an existing file piece by piece, never joined into a second copy of the
/// whole output.
package struct OutputContent: Sendable {
    fileprivate enum Storage: Sendable {
        case contiguous([UInt8])
        /// A parsed template and the value of each of its actions, in order.
        case template(Template, values: [[UInt8]])
    }

    /// The largest rendered template kept in one buffer (64 KiB); larger ones are kept
    /// in pieces.
    package static let joinedUpTo = 64 * 1024

    private let storage: Storage
    /// The size in bytes.
    package let count: Int

    /// Content held in one buffer.
    package init(_ bytes: [UInt8]) {
        storage = .contiguous(bytes)
        count = bytes.count
    }

    /// A rendered template: its text and literal segments with `values[i]` after the text
    /// before the `i`-th action.
    ///
    /// - Parameter count: the total size, the template's fixed bytes plus every value's.
    init(template: Template, values: [[UInt8]], count: Int) {
        storage = .template(template, values: values)
        self.count = count
    }

    /// One piece: a range of a buffer (sharing it, not copying it).
    package struct Piece {
        package var buffer: [UInt8]
        package var range: Range<Int>
    }

    /// The pieces in order; empty ones are skipped.
    package struct Pieces: Sequence, IteratorProtocol {
        private let storage: Storage
        private var segment = 0
        private var value = 0
        /// The value due after an action's text, returned by the next call.
        private var pendingValue = false
        private var done = false

        fileprivate init(_ storage: Storage) {
            self.storage = storage
        }

        package mutating func next() -> Piece? {
            switch storage {
            case .contiguous(let bytes):
                guard !done else { return nil }
                done = true
                return bytes.isEmpty ? nil : Piece(buffer: bytes, range: bytes.indices)
            case .template(let template, let values):
                while true {
                    if pendingValue {
                        pendingValue = false
                        let bytes = values[value]
                        value += 1
                        if !bytes.isEmpty { return Piece(buffer: bytes, range: bytes.indices) }
                    }
                    guard segment < template.segments.count else { return nil }
                    let current = template.segments[segment]
                    segment += 1
                    switch current {
                    case .text(let range):
                        if !range.isEmpty { return Piece(buffer: template.bytes, range: range) }
                    case .literal(let content):
                        if !content.isEmpty { return Piece(buffer: content, range: content.indices) }
                    case .action(_, let text):
                        pendingValue = true
                        if !text.isEmpty { return Piece(buffer: template.bytes, range: text) }
                    }
                }
            }
        }
    }

    /// The non-empty pieces, in order.
    package var pieces: Pieces { Pieces(storage) }

    /// Calls `body` with the bytes of every non-empty piece, in order.
    package func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        for piece in pieces {
            try piece.buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[piece.range])) }
        }
    }

    /// Every byte in one buffer (a copy for a rendered template; the buffer itself otherwise).
    package var joined: [UInt8] {
        if case .contiguous(let bytes) = storage { return bytes }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            forEachPiece { piece in
                let target = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[initialized...])
                target.copyMemory(from: piece)
                initialized += piece.count
            }
        }
    }

    /// Whether both hold the same bytes, compared piece by piece without joining either.
    package func elementsEqual(_ other: OutputContent) -> Bool {
        guard count == other.count else { return false }
        if case .contiguous(let left) = storage, case .contiguous(let right) = other.storage { return left == right }
        var theirs = other.pieces
        var current: Piece?
        var offset = 0  // into `current`
        for piece in pieces {
            var position = piece.range.lowerBound
            while position < piece.range.upperBound {
                if current == nil || offset == current!.range.upperBound {
                    guard let next = theirs.next() else { return false }
                    current = next
                    offset = next.range.lowerBound
                }
                let length = min(piece.range.upperBound - position, current!.range.upperBound - offset)
                let same = piece.buffer.withUnsafeBytes { mine in
                    current!.buffer.withUnsafeBytes { other in
                        memcmp(mine.baseAddress! + position, other.baseAddress! + offset, length) == 0
                    }
                }
                guard same else { return false }
                position += length
                offset += length
            }
        }
        return true
    }
}
