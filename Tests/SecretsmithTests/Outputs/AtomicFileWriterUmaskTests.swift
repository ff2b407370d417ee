import Foundation
import Glibc
import Secretsmith
import Testing

/// Changes the process umask, so these tests run one at a time, and each holds a changed
/// umask only around the write itself: other suites run in parallel in the same process.
@Suite("Atomic file writer under umask", .serialized)
struct AtomicFileWriterUmaskTests {
    private let writer = AtomicFileWriter(registry: StagedFileRegistry())

    /// Writes one output with the process umask set to `mask`, restoring it afterwards.
    private func write(_ path: String, mode: UInt32, under mask: mode_t, allowWorldReadable: Bool = false) throws {
        let previous = umask(mask)
        defer { umask(previous) }
        _ = try writer.write([(path: path, bytes: Array("x".utf8), options: WriteOptions(mode: mode, allowWorldReadable: allowWorldReadable))])
    }

    @Test("the file mode and created directories do not depend on the umask", arguments: [mode_t(0o000), 0o077, 0o022])
    func modeIgnoresUmask(_ mask: mode_t) throws {
        let directory = try OutputTestSupport.makeTemporaryDirectory()
        defer { OutputTestSupport.removeTree(directory) }
        for mode: UInt32 in [0o600, 0o640, 0o400, 0o660] {
            let path = directory + "/sub\(String(mode, radix: 8))/out"
            try write(path, mode: mode, under: mask)
            #expect(try AtomicFileWriterTests.mode(path) == mode, "mode \(String(mode, radix: 8)) under umask \(String(mask, radix: 8))")
            #expect(try AtomicFileWriterTests.mode(directory + "/sub\(String(mode, radix: 8))") == 0o700)
        }
        let wide = directory + "/wide"
        try write(wide, mode: 0o666, under: mask, allowWorldReadable: true)
        #expect(try AtomicFileWriterTests.mode(wide) == 0o666)
    }
}
