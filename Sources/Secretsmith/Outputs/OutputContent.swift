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

    /// How a walk over the pieces ended.
    package enum Walk: Sendable, Hashable {
        /// Every piece was given.
        case complete
        /// The body (or `beforeReuse`) asked to stop.
        case stopped
        /// The content is a template kept in its file and the file no longer holds the
        /// bytes parsed: what was given must not be used.
        case templateChanged
    }

    /// The path of the template file that a walk reads, when the content is a rendered
    /// template kept in its file (nil otherwise: nothing can change under a walk).
    package var templateFilePath: String? {
        guard case .template(let template, _, _) = storage, case .file(let file) = template.text else { return nil }
        return file.path
    }

    /// Calls `body` with the start and size of every non-empty piece, in order, until it
    /// returns false.
    ///
    /// Pointers stay valid until this call returns, except for a template kept in its file:
    /// its text is read in chunks into one buffer, and `beforeReuse` is called before the
    /// buffer is refilled (pointers given before it stop being valid then) and at the end;
    /// it returns false to stop. A writer gathering pieces into one `writev` flushes there.
    ///
    /// - Returns: How the walk ended; ``Walk/templateChanged`` when the template's file no
    ///   longer holds the bytes parsed (found only after reading it all).
    @discardableResult
    package func forEachPieceAddress(
        _ body: (_ start: UnsafeRawPointer, _ count: Int) -> Bool, beforeReuse: () -> Bool = { true }
    ) -> Walk {
        switch storage {
        case .contiguous(let bytes):
            let finished = bytes.withUnsafeBytes { $0.isEmpty || body($0.baseAddress!, $0.count) }
            return finished ? .complete : .stopped
        case .template(let template, let values, let ranges):
            return values.withUnsafeBytes { values in
                template.literalBytes.withUnsafeBytes { literals in
                    /// The value or literal after `segment`'s text; false when the body stopped.
                    func item(_ segment: TemplateSegment) -> Bool {
                        if let action = segment.action {
                            let range = ranges[action]
                            return range.isEmpty || body(values.baseAddress! + range.lowerBound, range.count)
                        } else if let literal = segment.literal {
                            let range = template.literalRanges[literal]
                            return range.isEmpty || body(literals.baseAddress! + range.lowerBound, range.count)
                        }
                        return true
                    }
                    switch template.text {
                    case .memory(let bytes):
                        return bytes.withUnsafeBytes { text in
                            for segment in template.segments {
                                let range = segment.text
                                if !range.isEmpty, !body(text.baseAddress! + range.lowerBound, range.count) { return .stopped }
                                if !item(segment) { return .stopped }
                            }
                            return .complete
                        }
                    case .file(let file):
                        let segments = template.segments
                        var next = 0
                        let pass = file.read { chunk, offset in
                            let end = offset + chunk.count
                            while next < segments.count {
                                let segment = segments[next]
                                // The part of the text in this chunk.
                                let lower = max(Int(segment.textStart), offset)
                                let upper = min(Int(segment.itemStart), end)
                                if upper > lower, !body(chunk.baseAddress! + (lower - offset), upper - lower) { return false }
                                // The text goes on in the next chunk.
                                if Int(segment.itemStart) > end { break }
                                if !item(segment) { return false }
                                next += 1
                            }
                            return beforeReuse()
                        }
                        switch pass {
                        case .complete:
                            // An empty file has no chunk: its one segment has no text.
                            while next < segments.count, segments[next].text.isEmpty {
                                if !item(segments[next]) { return .stopped }
                                next += 1
                            }
                            return next == segments.count ? .complete : .templateChanged
                        case .stopped: return .stopped
                        case .changed: return .templateChanged
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with the bytes of every non-empty piece, in order.
    ///
    /// - Returns: How the walk ended (see ``forEachPieceAddress(_:beforeReuse:)``).
    @discardableResult
    package func forEachPiece(_ body: (UnsafeRawBufferPointer) -> Void) -> Walk {
        forEachPieceAddress { start, count in
            body(UnsafeRawBufferPointer(start: start, count: count))
            return true
        }
    }

    /// Every byte in one buffer (a copy for a rendered template; the buffer itself
    /// otherwise); empty when the content is a template kept in its file that changed
    /// since it was parsed (``joinedIfUnchanged()`` tells).
    package var joined: [UInt8] {
        joinedIfUnchanged() ?? []
    }

    /// Every byte in one buffer, or nil when the content is a template kept in its file
    /// that no longer holds the bytes parsed.
    package func joinedIfUnchanged() -> [UInt8]? {
        if case .contiguous(let bytes) = storage { return bytes }
        var walk = Walk.complete
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            walk = forEachPieceAddress { start, count in
                guard initialized + count <= buffer.count else { return false }
                UnsafeMutableRawPointer(base + initialized).copyMemory(from: start, byteCount: count)
                initialized += count
                return true
            }
        }
        return walk == .complete && bytes.count == count ? bytes : nil
    }

    /// Whether both hold the same bytes. Two single buffers are compared directly; a
    /// rendered template is compared piece by piece with the other joined (false when a
    /// template kept in its file changed since it was parsed).
    package func elementsEqual(_ other: OutputContent) -> Bool {
        guard count == other.count else { return false }
        if case .contiguous(let left) = storage, case .contiguous(let right) = other.storage { return left == right }
        let (pieces, whole): (OutputContent, OutputContent)
        if case .contiguous = other.storage { (pieces, whole) = (self, other) } else { (pieces, whole) = (other, self) }
        guard let bytes = whole.joinedIfUnchanged() else { return false }
        return bytes.withUnsafeBytes { expected in
            var offset = 0
            let walk = pieces.forEachPieceAddress { start, count in
                guard offset + count <= expected.count, memcmp(expected.baseAddress! + offset, start, count) == 0 else { return false }
                offset += count
                return true
            }
            return walk == .complete && offset == expected.count
        }
    }
}
