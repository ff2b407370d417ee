@testable import Secretsmith
import Testing

@Suite struct CRC32CTests {
    @Test("check values from RFC 3720 and Google's crc32c library", arguments: [
        ("", UInt32(0)),
        ("123456789", UInt32(3_808_858_755)),
        ("seCr3t\n", UInt32(3_131_222_104)),
    ])
    func checkValues(input: String, expected: UInt32) {
        #expect(CRC32C.checksum(Array(input.utf8)) == expected)
    }

    @Test func slicedAndBytewisePathsAgree() {
        // Lengths around the 8-byte stride exercise both loops.
        var generator = SystemRandomNumberGenerator()
        for length in [1, 7, 8, 9, 15, 16, 17, 1000, 65_536] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(CRC32C.checksum(bytes) == Self.reference(bytes), "length \(length)")
        }
    }

    @Test func thirtyTwoBytesOfZerosAndOnes() {
        // RFC 3720 B.4 test vectors.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
    }

    /// The bit-at-a-time definition.
    static func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
