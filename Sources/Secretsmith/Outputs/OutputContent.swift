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
        /// A parsed template and the value of each of its distinct actions, one after the
        /// other in `values` (`ranges[i]` is the value of `template.actions[i]`).
        case template(Template, values: [UInt8], ranges: [Range<Int>])
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

    /// A rendered template: its text segments, each followed by the value of its action
    /// (`values[i]` for the template's `i`-th distinct action) or its literal.
    ///
    /// - Parameter count: the total size, the template's fixed bytes plus every use's value.
    init(template: Template, values: [[UInt8]], count: Int) {
        var joined: [UInt8] = []
        joined.reserveCapacity(values.reduce(0) { $0 + $1.count })
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(values.count)
        for value in values {
            ranges.append(joined.count..<(joined.count + value.count))
            joined += value
        }
        storage = .template(template, values: joined, ranges: ranges)
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
        /// Whether the next piece is what follows the current segment's text.
        private var pendingItem = false
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
            case .template(let template, let values, let ranges):
                while segment < template.segments.count {
                    let current = template.segments[segment]
                    if !pendingItem {
                        pendingItem = true
                        let text = current.text
                        if !text.isEmpty { return Piece(buffer: template.bytes, range: text) }
                    }
                    pendingItem = false
                    segment += 1
                    if let action = current.action {
                        if !ranges[action].isEmpty { return Piece(buffer: values, range: ranges[action]) }
                    } else if let literal = current.literal {
                        let range = template.literalRanges[literal]
                        if !range.isEmpty { return Piece(buffer: template.literalBytes, range: range) }
                    }
                }
                return nil
            }
        }
    }

    /// The non-empty pieces, in order.
    package var pieces: Pieces { Pieces(storage) }

    /// Calls `body` with the start and size of every non-empty piece, in order, until it
    /// returns false; every pointer stays valid until this call returns (for gathering
    /// pieces into one `writev`).
    package func forEachPieceAddress(_ body: (_ start: UnsafeRawPointer, _ count: Int) -> Bool) {
        switch storage {
        case .contiguous(let bytes):
            bytes.withUnsafeBytes { if !$0.isEmpty { _ = body($0.baseAddress!, $0.count) } }
        case .template(let template, let values, let ranges):
            template.bytes.withUnsafeBytes { text in
                values.withUnsafeBytes { values in
                    template.literalBytes.withUnsafeBytes { literals in
                        for segment in template.segments {
                            let range = segment.text
                            if !range.isEmpty, !body(text.baseAddress! + range.lowerBound, range.count) { return }
                            if let action = segment.action {
                                let range = ranges[action]
                                if !range.isEmpty, !body(values.baseAddress! + range.lowerBound, range.count) { return }
                            } else if let literal = segment.literal {
                                let range = template.literalRanges[literal]
                                if !range.isEmpty, !body(literals.baseAddress! + range.lowerBound, range.count) { return }
                            }
                        }
                    }
                }
            }
        }
    }

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
            guard let base = buffer.baseAddress else { return }
            forEachPieceAddress { start, count in
                UnsafeMutableRawPointer(base + initialized).copyMemory(from: start, byteCount: count)
                initialized += count
                return true
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
