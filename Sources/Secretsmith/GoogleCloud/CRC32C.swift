/// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final
/// xor 0xFFFFFFFF, as RFC 3720 §B.4 defines it and Secret Manager uses for
/// `SecretPayload.dataCrc32c`.
///
/// Check values: `""` → 0, `"123456789"` → 3808858755 (0xE3069283).
package enum CRC32C {
    /// Slicing-by-8 tables; table 0 is the classic byte-at-a-time table.
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for n in 0..<256 {
            var crc = UInt32(n)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[0][n] = crc
        }
        for n in 0..<256 {
            var crc = tables[0][n]
            for k in 1..<8 {
                crc = tables[0][Int(crc & 0xFF)] ^ (crc >> 8)
                tables[k][n] = crc
            }
        }
        return tables
    }()

    /// The CRC-32C of `bytes`.
    package static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ update(0xFFFF_FFFF, $0) }) {
            return crc ^ 0xFFFF_FFFF
        }
        return Array(bytes).withUnsafeBufferPointer { update(0xFFFF_FFFF, $0) } ^ 0xFFFF_FFFF
    }

    private static func update(_ start: UInt32, _ buffer: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc = start
        var index = 0
        let count = buffer.count
        let t0 = tables[0], t1 = tables[1], t2 = tables[2], t3 = tables[3]
        let t4 = tables[4], t5 = tables[5], t6 = tables[6], t7 = tables[7]
        while count - index >= 8 {
            let low = crc ^ (UInt32(buffer[index]) | UInt32(buffer[index + 1]) << 8
                | UInt32(buffer[index + 2]) << 16 | UInt32(buffer[index + 3]) << 24)
            let high = UInt32(buffer[index + 4]) | UInt32(buffer[index + 5]) << 8
                | UInt32(buffer[index + 6]) << 16 | UInt32(buffer[index + 7]) << 24
            crc = t7[Int(low & 0xFF)] ^ t6[Int((low >> 8) & 0xFF)]
                ^ t5[Int((low >> 16) & 0xFF)] ^ t4[Int(low >> 24)]
                ^ t3[Int(high & 0xFF)] ^ t2[Int((high >> 8) & 0xFF)]
                ^ t1[Int((high >> 16) & 0xFF)] ^ t0[Int(high >> 24)]
            index += 8
        }
        while index < count {
            crc = t0[Int((crc ^ UInt32(buffer[index])) & 0xFF)] ^ (crc >> 8)
            index += 1
        }
        return crc
    }
}
