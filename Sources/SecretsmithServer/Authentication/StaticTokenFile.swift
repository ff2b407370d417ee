import Crypto
import Foundation
import Secretsmith

/// The static tokens file: which bearer tokens `serve` accepts, stored as SHA-256 hashes.
///
/// Format, one entry a line:
///
/// ```
/// # comment
/// ci        sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
/// deployer  sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
/// ```
///
/// `NAME` (letters, digits, `.`, `_`, `-`; at most 128 characters) becomes the principal
/// `token:NAME`; the hash is the SHA-256 of the token's UTF-8 bytes as 64 hexadecimal digits
/// (`secretsmith hash-token NAME` prints the line). Lines whose first non-blank character is
/// `#` and blank lines are ignored; fields are separated by spaces or tabs.
///
/// Refused, with an ``AuthenticationSetupError`` naming the file and line: a name listed
/// twice, a malformed name, a hash that is not 64 hexadecimal digits, an algorithm other than
/// `sha256`, and anything that looks like a token written in plain text (the error says to hash
/// it and never repeats it).
package struct StaticTokenFile: Sendable, Hashable {
    /// One accepted token.
    package struct Entry: Sendable, Hashable {
        /// The token's name, `NAME` in `token:NAME`.
        package var name: String
        /// The SHA-256 of the token's UTF-8 bytes (32 bytes).
        package var digest: [UInt8]
        /// The 1-based line the entry is on.
        package var line: Int
    }

    /// The entries, in file order.
    package var entries: [Entry]

    package init(entries: [Entry]) {
        self.entries = entries
    }

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: ``AuthenticationSetupError`` when the file cannot be read or an entry is invalid.
    package static func load(path: String) throws(AuthenticationSetupError) -> StaticTokenFile {
        let bytes: [UInt8]
        switch FileSystemCalls.readRegularFile(path, limit: maxBytes) {
        case .success(let read): bytes = read
        case .failure(let failure):
            throw AuthenticationSetupError(
                path: path,
                reason: "The static tokens file cannot be used: \(failure.reason(limit: maxBytes)); "
                    + "check serve.authentication.static_tokens_file.")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AuthenticationSetupError(path: path, reason: "The static tokens file is not UTF-8 text.")
        }
        return try parse(text, path: path)
    }

    /// The largest tokens file read, in bytes (1 MiB: about 10,000 entries). A FIFO or a
    /// device is refused before it is read, so neither can hang `serve` or fill its memory.
    package static let maxBytes = 1 << 20

    /// Parses the file's text; `path` is only used in errors.
    ///
    /// - Throws: ``AuthenticationSetupError`` for the first invalid line.
    package static func parse(_ text: String, path: String) throws(AuthenticationSetupError) -> StaticTokenFile {
        var entries: [Entry] = []
        var lines: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            func fail(_ reason: String) -> AuthenticationSetupError {
                AuthenticationSetupError(path: path, line: number, reason: reason)
            }
            let hint = "store its SHA-256 instead: the line `secretsmith hash-token NAME` prints from the token on standard input"
            guard fields.count == 2 else {
                if fields.count == 1 {
                    throw fail("The line has one field where `NAME sha256:HEX` is expected; if it is a token in plain text, \(hint).")
                }
                throw fail("The line has \(fields.count) fields where `NAME sha256:HEX` is expected.")
            }
            let name = String(first)
            guard isValidName(name) else {
                throw fail(
                    "The token name is invalid: use 1 to 128 letters, digits, `.`, `_` or `-` (the principal is `token:NAME`).")
            }
            let hash = fields[1]
            guard let colon = hash.firstIndex(of: ":") else {
                throw fail("The token `\(name)` is not hashed: a plain-text token is refused; \(hint).")
            }
            let algorithm = hash[..<colon]
            guard algorithm == "sha256" else {
                if Self.otherHashAlgorithms.contains(algorithm.lowercased()) {
                    throw fail("The token `\(name)` uses the hash algorithm `\(algorithm)`; only `sha256` is supported.")
                }
                throw fail("The token `\(name)` is not hashed: a plain-text token is refused; \(hint).")
            }
            guard let digest = hexBytes(hash[hash.index(after: colon)...]), digest.count == SHA256.byteCount else {
                throw fail("The hash of the token `\(name)` is not 64 hexadecimal digits after `sha256:`; \(hint).")
            }
            if let previous = lines[name] {
                throw fail("The token name `\(name)` is listed twice (first on line \(previous)); names must be unique.")
            }
            lines[name] = number
            entries.append(Entry(name: name, digest: digest, line: number))
        }
        return StaticTokenFile(entries: entries)
    }

    /// The file's line for a token: `NAME sha256:HEX` (lowercase hexadecimal).
    package static func line(name: String, token: String) -> String {
        "\(name) sha256:\(hex(Array(SHA256.hash(data: Array(token.utf8)))))"
    }

    /// Hash algorithms named in errors as unsupported; any other prefix may be part of a token
    /// in plain text and is never repeated.
    private static let otherHashAlgorithms: Set<String> = [
        "md5", "sha1", "sha-1", "sha224", "sha384", "sha512", "sha-256", "sha3-256", "bcrypt", "scrypt", "argon2",
        "argon2id", "pbkdf2",
    ]

    /// Whether `name` may name a static token.
    package static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 128
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
