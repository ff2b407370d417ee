import Foundation

/// Decodes `SecretPayload.data`: standard base64 (RFC 4648 §4, `+` and `/`) with padding,
/// as proto3 JSON writes `bytes`.
enum Base64Payload {
    /// The 6-bit value of each ASCII byte, 0xFF for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// The decoded bytes; nil when `text` is not base64 as Foundation's
    /// `Data(base64Encoded:)` (no options) reads it.
    ///
    /// Canonical text (a multiple of four characters, `=` only as the last one or two,
    /// unused bits zero) is decoded here in one pass into the result; anything else is
    /// left to Foundation, which decides.
    static func decode(_ text: String) -> [UInt8]? {
        var text = text
        if let bytes = text.withUTF8({ decodeCanonical($0) }) { return bytes }
        return Data(base64Encoded: text).map { [UInt8]($0) }
    }

    /// Decodes canonical padded base64; nil for anything else.
    static func decodeCanonical(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = input.count
        guard count % 4 == 0 else { return nil }
        if count == 0 { return [] }
        let padding = input[count - 1] == UInt8(ascii: "=") ? (input[count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        let outputCount = count / 4 * 3 - padding
        var valid = true
        let table = values
        let output = table.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: outputCount) { out, initialized in
                initialized = 0
                var index = 0
                var written = 0
                // Every quartet but the last: four alphabet characters.
                while index + 4 < count {
                    let a = table[Int(input[index])], b = table[Int(input[index + 1])]
                    let c = table[Int(input[index + 2])], d = table[Int(input[index + 3])]
                    guard (a | b | c | d) & 0xC0 == 0 else {
                        valid = false
                        return
                    }
                    let word = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[written] = UInt8(truncatingIfNeeded: word >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: word)
                    written += 3
                    index += 4
                }
                // The last quartet, with its padding.
                let a = table[Int(input[index])], b = table[Int(input[index + 1])]
                let c = padding >= 2 ? 0 : table[Int(input[index + 2])]
                let d = padding >= 1 ? 0 : table[Int(input[index + 3])]
                guard (a | b | c | d) & 0xC0 == 0 else {
                    valid = false
                    return
                }
                let word = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                // Bits that padding leaves unused must be zero in canonical text.
                guard (padding == 1 && word & 0xFF == 0) || (padding == 2 && word & 0xFFFF == 0) || padding == 0 else {
                    valid = false
                    return
                }
                out[written] = UInt8(truncatingIfNeeded: word >> 16)
                written += 1
                if padding < 2 {
                    out[written] = UInt8(truncatingIfNeeded: word >> 8)
                    written += 1
                }
                if padding < 1 {
                    out[written] = UInt8(truncatingIfNeeded: word)
                    written += 1
                }
                initialized = valid ? written : 0
            }
        }
        return valid ? output : nil
    }
}
