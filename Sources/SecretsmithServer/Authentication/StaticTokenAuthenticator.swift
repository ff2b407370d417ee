import Foundation
import Crypto
import Logging
import Synchronization

/// Authenticates the opaque bearer tokens listed (as SHA-256 hashes) in the static tokens
/// file (``StaticTokenFile``); the principal is `token:NAME`.
///
/// A presented token is hashed with SHA-256 and compared with **every** entry's hash in
/// constant time (no early exit, neither within a hash nor across entries), so the time
/// taken does not tell how much of a hash matched or which entry did. Hashes, not tokens,
/// are kept in memory.
///
/// A token that is not listed gives `nil` (this authenticator does not recognise it; an
/// ``AuthenticatorChain`` answers 401 when no authenticator does). ``reload()`` (on SIGHUP)
/// swaps the whole set atomically; a file that fails to parse leaves the previous set in force.
package final class StaticTokenAuthenticator: BearerTokenAuthenticator {
    /// The file, as configured (`serve.authentication.static_tokens_file`).
    package let path: String
    /// The entries' digests with their principals, made once per load (not per request).
    private let entries: Mutex<[Known]>

    private struct Known: Sendable {
        var digest: [UInt8]
        var principal: Principal

        static func from(_ entries: [StaticTokenFile.Entry]) -> [Known] {
            entries.map { Known(digest: $0.digest, principal: .staticToken(named: $0.name)) }
        }
    }
    private let logger: Logger

    /// Loads the file at `path`.
    ///
    /// - Throws: ``AuthenticationSetupError`` when it cannot be read or is invalid.
    package init(path: String, logger: Logger = Logger(label: "secretsmith.serve.auth")) throws(AuthenticationSetupError) {
        self.path = path
        self.logger = logger
        entries = Mutex(Known.from(try StaticTokenFile.load(path: path).entries))
    }

    /// Accepts exactly the tokens of `file` (tests, or a caller that read the file itself).
    package init(file: StaticTokenFile, path: String, logger: Logger = Logger(label: "secretsmith.serve.auth")) {
        self.path = path
        self.logger = logger
        entries = Mutex(Known.from(file.entries))
    }

    /// How many tokens are accepted.
    package var count: Int { entries.withLock { $0.count } }

    /// Reads the file again and, when it is valid, replaces the accepted set in one step
    /// (requests see either the old set or the new one).
    ///
    /// - Returns: how many tokens are accepted now.
    /// - Throws: ``AuthenticationSetupError`` when the file cannot be read or is invalid; the
    ///   previous set stays in force. Both outcomes are logged here, once (the failure with
    ///   file and line, no content), so callers need not log them.
    @discardableResult
    package func reload() throws(AuthenticationSetupError) -> Int {
        let file: StaticTokenFile
        do {
            file = try StaticTokenFile.load(path: path)
        } catch {
            logger.error(
                "The static tokens file was not reloaded; the previous tokens stay in force.",
                metadata: ["path": "\(path)", "error": "\(error.description)"])
            throw error
        }
        let known = Known.from(file.entries)
        entries.withLock { $0 = known }
        if file.entries.isEmpty {
            // Valid, and perhaps meant (every token revoked), but more often a file caught
            // while being written: it locks out every caller of a static token.
            logger.warning(
                "Reloaded the static tokens file: it lists no token, so no static token is accepted now.",
                metadata: ["path": "\(path)", "tokens": "0"])
        } else {
            logger.notice("Reloaded the static tokens file.", metadata: ["path": "\(path)", "tokens": "\(file.entries.count)"])
        }
        return file.entries.count
    }

    package func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal? {
        guard !bearerToken.isEmpty else { return nil }
        var token = bearerToken
        let digest = token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        let snapshot = entries.withLock { $0 }
        var match: Principal?
        digest.withUnsafeBytes { digest in
            for entry in snapshot {
                // Every entry is compared; the selection below does not branch on the secret data.
                let equal = entry.digest.withUnsafeBytes { Self.constantTimeEqual($0, digest) }
                if equal { match = entry.principal }
            }
        }
        return match
    }

    /// Compares two byte strings in time that depends only on their lengths.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { a in b.withUnsafeBytes { b in constantTimeEqual(a, b) } }
    }

    /// Compares two byte buffers in time that depends only on their lengths.
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
