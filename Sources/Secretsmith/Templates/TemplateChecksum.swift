/// A 64-bit checksum of a template's bytes, computed over the file as it is read in
/// chunks of any size (the same bytes give the same checksum however they are split), to
/// tell whether a template file read a second time still holds the bytes it held the
/// first time.
///
/// Four independent lanes of 64-bit words (a 32-byte block per step), each mixed as
/// `rotate(((lane ^ word) &* k), 31)`: every step is a bijection of the lane for a given
/// word, so changing one aligned 8-byte word always changes the result, and other edits
/// collide with a probability near 2⁻⁶⁴. The lanes, the tail and the length are folded
/// together at the end. Not a cryptographic hash: it guards against a file edited between
/// two reads, not against an adversary (who could write the template anyway). It runs at
/// many bytes per cycle, unlike a table-driven CRC-32C, so checking a 50 MB template twice
/// costs a few milliseconds.
struct TemplateChecksum {
    private var lane0: UInt64 = 0x243F_6A88_85A3_08D3
    private var lane1: UInt64 = 0x1319_8A2E_0370_7344
    private var lane2: UInt64 = 0xA409_3822_299F_31D0
    private var lane3: UInt64 = 0x082E_FA98_EC4E_6C89
    /// Bytes of an unfinished 32-byte block, waiting for the next update.
    private var pending: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var pendingCount = 0
    /// The number of bytes seen.
    private(set) var byteCount = 0

    private static let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always)
    private static func mix(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let product = (lane ^ word) &* multiplier
        return (product << 31) | (product >> 33)
    }

    /// Adds the next bytes of the file.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        byteCount += bytes.count
        var index = 0
        let count = bytes.count
        if pendingCount > 0 {
            // Complete the pending block first.
            let taken = min(32 - pendingCount, count)
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.advanced(by: pendingCount).copyMemory(from: base, byteCount: taken)
            }
            pendingCount += taken
            index = taken
            guard pendingCount == 32 else { return }
            lane0 = Self.mix(lane0, pending.0)
            lane1 = Self.mix(lane1, pending.1)
            lane2 = Self.mix(lane2, pending.2)
            lane3 = Self.mix(lane3, pending.3)
            pendingCount = 0
        }
        var l0 = lane0, l1 = lane1, l2 = lane2, l3 = lane3
        while index + 32 <= count {
            l0 = Self.mix(l0, base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            l1 = Self.mix(l1, base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
            l2 = Self.mix(l2, base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self))
            l3 = Self.mix(l3, base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self))
            index += 32
        }
        (lane0, lane1, lane2, lane3) = (l0, l1, l2, l3)
        if index < count {
            pending = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: base + index, byteCount: count - index)
            }
            pendingCount = count - index
        }
    }

    /// The checksum of every byte added so far.
    var value: UInt64 {
        // The unfinished block, zero-padded; the length tells `ab` from `ab\0`.
        var (l0, l1, l2, l3) = (lane0, lane1, lane2, lane3)
        if pendingCount > 0 {
            l0 = Self.mix(l0, pending.0)
            l1 = Self.mix(l1, pending.1)
            l2 = Self.mix(l2, pending.2)
            l3 = Self.mix(l3, pending.3)
        }
        var result = Self.mix(UInt64(byteCount), l0)
        result = Self.mix(result, l1)
        result = Self.mix(result, l2)
        result = Self.mix(result, l3)
        result ^= result >> 29
        return result &* Self.multiplier
    }

    /// The checksum of `bytes` in one call.
    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var checksum = TemplateChecksum()
        checksum.update(bytes)
        return checksum.value
    }
}
