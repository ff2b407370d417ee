#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import Secretsmith
import Testing

/// Whole-file reads into one buffer sized from `st_size`, and chunked comparison of an
/// existing output with new content.
@Suite struct FileSystemCallsReadTests {
    /// A temporary file holding `bytes`, opened for reading; removed by `body`'s end.
    private func withFile<T>(_ bytes: [UInt8], _ body: (Int32) throws -> T) throws -> T {
        let path = NSTemporaryDirectory() + "secretsmith-read-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        return try body(descriptor)
    }

    private func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    @Test("the whole file is read whether the size hint is exact, too small, absent or too large",
          arguments: [0, 1, 4096, 65_536, 65_537, 300_000])
    func readAll(count: Int) throws {
        let bytes = pattern(count)
        for hint in [count, 0, count / 2, count + 10] {
            let read = try withFile(bytes) { FileSystemCalls.readAll($0, limit: 1 << 20, sizeHint: hint) }
            #expect(read == bytes, "size \(count), hint \(hint)")
        }
    }

    @Test("a file longer than the limit is read up to past the limit, so callers can refuse it")
    func readAllPastLimit() throws {
        let bytes = pattern(200_000)
        for hint in [200_000, 1000, 0] {
            let read = try #require(try withFile(bytes) { FileSystemCalls.readAll($0, limit: 100_000, sizeHint: hint) })
            #expect(read.count > 100_000, "hint \(hint)")
            #expect(read[...] == bytes[..<read.count])
        }
    }

    @Test("readRegularFile returns the bytes of a file larger than one read chunk")
    func readRegularFile() throws {
        let bytes = pattern(1_000_003)
        let path = NSTemporaryDirectory() + "secretsmith-read-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        #expect(try FileSystemCalls.readRegularFile(path, limit: 2_000_000).get() == bytes)
        #expect(FileSystemCalls.readRegularFile(path, limit: 1_000_000) == .failure(.tooLarge(1_000_003)))
    }

    @Test("contentEquals: equal content only; shorter, longer or different content differs",
          arguments: [0, 1, 65_535, 65_536, 65_537, 200_000])
    func contentEquals(count: Int) throws {
        let bytes = pattern(count)
        #expect(try withFile(bytes) { FileSystemCalls.contentEquals($0, bytes) })
        #expect(try !withFile(bytes + [0]) { FileSystemCalls.contentEquals($0, bytes) })
        if count > 0 {
            #expect(try !withFile(Array(bytes.dropLast())) { FileSystemCalls.contentEquals($0, bytes) })
            var changed = bytes
            changed[count - 1] ^= 0xFF
            #expect(try !withFile(changed) { FileSystemCalls.contentEquals($0, bytes) })
            changed = bytes
            changed[count / 2] ^= 0x01
            #expect(try !withFile(changed) { FileSystemCalls.contentEquals($0, bytes) })
        }
    }
}
