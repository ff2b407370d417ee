#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Where a parsed template's bytes are.
enum TemplateText: Sendable {
    /// All of them, in memory.
    case memory([UInt8])
    /// In the template's file, read again in chunks whenever they are needed (a large
    /// template, so a render does not hold a copy of it beside the output it writes).
    case file(TemplateFileText)
}

/// A template's bytes left in its file: the open descriptor and the size and checksum of
/// what was parsed, so every later read can tell whether the file still holds those bytes.
///
/// The descriptor stays open for the template's life, so a template replaced by a rename
/// (as editors save) is still read from the file that was parsed; a file changed in place
/// (written, truncated, appended to) is caught by the size and checksum check after each
/// read. The file is read with `pread`, never mapped: a truncation cannot raise `SIGBUS`.
final class TemplateFileText: Sendable {
    /// The template's path, for errors.
    let path: String
    /// Open for reading (`O_CLOEXEC`); closed when this object goes.
    let descriptor: Int32
    /// The size in bytes when parsed.
    let size: Int
    /// ``TemplateChecksum`` of the bytes parsed.
    let checksum: UInt64
    /// Whether the file starts with a UTF-8 byte order mark (it takes no column).
    let startsWithByteOrderMark: Bool
    /// The size of each read, in bytes.
    let chunkSize: Int

    /// Takes ownership of `descriptor`.
    init(path: String, descriptor: Int32, size: Int, checksum: UInt64, startsWithByteOrderMark: Bool, chunkSize: Int) {
        self.path = path
        self.descriptor = descriptor
        self.size = size
        self.checksum = checksum
        self.startsWithByteOrderMark = startsWithByteOrderMark
        self.chunkSize = max(chunkSize, 1)
    }

    deinit {
        close(descriptor)
    }

    /// How a read of the whole file ended.
    enum Pass: Sendable, Hashable {
        /// Every byte was read and the file holds what was parsed.
        case complete
        /// The body asked to stop.
        case stopped
        /// The file no longer holds what was parsed: a different size or checksum, or a
        /// read failed. What the body was given must not be used.
        case changed
    }

    /// Reads the file from its start in chunks of ``chunkSize`` bytes into one buffer
    /// (reused: a chunk is valid only during its call), then checks that the file ended
    /// where it did and that the checksum of what was read is the one parsed.
    ///
    /// - Parameter body: Called with each chunk and its offset in the file, in order;
    ///   returns false to stop.
    /// - Returns: How the read ended; the body learns of a change only from this.
    func read(_ body: (_ chunk: UnsafeRawBufferPointer, _ offset: Int) throws -> Bool) rethrows -> Pass {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunkSize, max(size, 1)), alignment: 64)
        defer { buffer.deallocate() }
        var checksum = TemplateChecksum()
        var offset = 0
        while offset < size {
            let count = pread(descriptor, buffer.baseAddress!, min(buffer.count, size - offset), off_t(offset))
            if count < 0 {
                if errno == EINTR { continue }
                return .changed
            }
            // Shorter than it was.
            if count == 0 { return .changed }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            checksum.update(chunk)
            guard try body(chunk, offset) else { return .stopped }
            offset += count
        }
        // Longer than it was?
        while true {
            let count = pread(descriptor, buffer.baseAddress!, 1, off_t(size))
            if count < 0, errno == EINTR { continue }
            if count != 0 { return .changed }
            break
        }
        return checksum.value == self.checksum ? .complete : .changed
    }
}

extension Template {
    /// The size of each read of a template kept in its file (256 KiB).
    static let fileChunkSize = 256 * 1024

    /// Parses a template from an open file, reading it in chunks that each end at a line
    /// end (nothing of an action spans lines, so the chunks parse as the whole would), and
    /// keeps its bytes in the file rather than in memory: they are read again, in chunks,
    /// when the output is written, and checked against the size and checksum taken now.
    ///
    /// A line longer than `chunkSize` is read whole (the buffer grows to hold it).
    ///
    /// - Parameters:
    ///   - descriptor: A regular file open for reading at offset 0; the template takes it
    ///     over (it is closed when the template goes, or before returning on failure).
    ///   - path: The template's path, used in errors.
    ///   - limit: The most bytes accepted (less than 4 GiB); a file growing past it while
    ///     read fails with `.tooLarge`.
    ///   - chunkSize: Bytes per read (at least 4).
    ///   - collectingProblems: Whether to go on after the first problem (``parseCollectingProblems(_:path:)``)
    ///     rather than stop at it (``parse(_:path:)``).
    /// - Returns: The template (with the actions that parsed, when there are problems) and
    ///   the problems in order of position, or why the file could not be read.
    static func parseFile(
        descriptor: Int32, path: String, limit: Int, chunkSize: Int = fileChunkSize, collectingProblems: Bool
    ) -> Result<(template: Template, problems: [TemplateError]), FileSystemCalls.ReadFailure> {
        precondition(limit <= Int(UInt32.max), "template offsets are 32-bit")
        var capacity = max(chunkSize, 4)
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var checksum = TemplateChecksum()
        var parser: TemplateParser?
        var startsWithByteOrderMark = false
        var base = 0  // the offset in the file of the buffer's first byte
        var filled = 0
        var atEnd = false
        func fail(_ failure: FileSystemCalls.ReadFailure) -> Result<(template: Template, problems: [TemplateError]), FileSystemCalls.ReadFailure> {
            close(descriptor)
            return .failure(failure)
        }
        while true {
            while filled < capacity && !atEnd {
                let count = read(descriptor, buffer.baseAddress! + filled, capacity - filled)
                if count < 0 {
                    if errno == EINTR { continue }
                    return fail(.system(errno))
                }
                if count == 0 {
                    atEnd = true
                    break
                }
                checksum.update(UnsafeRawBufferPointer(rebasing: buffer[filled..<(filled + count)]))
                filled += count
                if base + filled > limit { return fail(.tooLarge(nil)) }
            }
            let bytes = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if parser == nil {
                startsWithByteOrderMark = TemplateMarkCounter.startsWithByteOrderMark(UnsafeBufferPointer(start: bytes, count: filled))
                parser = TemplateParser(path: path, skipsByteOrderMark: startsWithByteOrderMark)
            }
            // The window: up to the last line end, or everything at the end of the file.
            var window = filled
            if !atEnd {
                // The last line end, searched from the end (a line's length away).
                var lineEnd = filled - 1
                while lineEnd >= 0 && bytes[lineEnd] != 0x0A { lineEnd -= 1 }
                guard lineEnd >= 0 else {
                    // A line longer than the buffer: make room for more of it.
                    let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * 2, alignment: 64)
                    larger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: filled)
                    buffer.deallocate()
                    buffer = larger
                    capacity *= 2
                    continue
                }
                window = lineEnd + 1
            }
            parser!.scan(
                window: UnsafeBufferPointer(start: bytes, count: window), base: base, isLast: atEnd,
                stopAtFirstError: !collectingProblems)
            if atEnd || parser!.stopped { break }
            // Keep the unfinished line for the next window.
            memmove(buffer.baseAddress!, buffer.baseAddress! + window, filled - window)
            base += window
            filled -= window
        }
        let size = base + filled
        guard var parser else { return fail(.system(EIO)) }
        if parser.stopped {
            // The first problem; the template is not used.
            close(descriptor)
            return .success((Template(path: path, text: .memory([]), parser: parser), parser.errors))
        }
        parser.finish(size: size)
        let file = TemplateFileText(
            path: path, descriptor: descriptor, size: size, checksum: checksum.value,
            startsWithByteOrderMark: startsWithByteOrderMark, chunkSize: chunkSize)
        return .success((Template(path: path, text: .file(file), parser: parser), parser.errors))
    }
}
