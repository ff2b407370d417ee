import Foundation
import Secretsmith
import Synchronization

/// What `secretsmith serve` works out once and reuses across requests: a path's parsed
/// reference, a Google resource name's matching references, the policy's verdict per
/// (principal, coordinates) and a principal's rate limit. Nothing here holds a value or a
/// token. The configuration and policy do not change while the server runs, so entries
/// never go stale; each table is emptied when it reaches ``limit`` entries, so that callers
/// sending endless distinct paths cannot grow it without bound.
final class ServeMemo: Sendable {
    static let limit = 4096

    /// A reference path's parts: the decoded text and the parsed reference.
    struct ReferencePath: Sendable {
        var text: String
        var printable: String
        var reference: SecretReference
        var environment: String
        /// `ENV/PROJECT/SECRET[@V][#P]`, for the audit event.
        var description: String
        /// The reference's route (`nil` when its endpoint or credentials cannot be set up,
        /// which the access then reports).
        var route: AccessRoute? = nil
    }

    /// One (principal, coordinates) question to the policy.
    struct PolicyKey: Hashable, Sendable {
        var principal: Principal
        var environment: String
        var project: String
        var secret: String
    }

    /// A Google resource name's parts, as captured from the path (still percent-encoded).
    struct GoogleKey: Hashable, Sendable {
        var project: String
        var location: String?
        var secret: String
        var version: String
    }

    /// A Google resource name, decoded and matched to the configuration.
    final class GoogleResource: Sendable {
        /// A declared reference for the name, with its settings and (unless its endpoint or
        /// credentials cannot be set up, which the access then reports) its route.
        struct Candidate: Sendable {
            var reference: SecretReference
            var secret: SecretConfig
            var route: AccessRoute?
        }

        let parent: String
        /// The version as requested, decoded (a number, `latest` or an alias).
        let version: String
        let resource: String
        let printableResource: String
        /// Every declared reference for the name, in file order; empty when none.
        let candidates: [Candidate]
        /// The last `:access` answer's body for a value, so that the same value is not
        /// base64-encoded and checksummed again on every request.
        private let body = Mutex<(value: SecretValue, bytes: [UInt8])?>(nil)

        init(parent: String, version: String, resource: String, candidates: [Candidate]) {
            self.parent = parent
            self.version = version
            self.resource = resource
            self.printableResource = ObservingMiddleware.printable(resource)
            self.candidates = candidates
        }

        /// Google's `AccessSecretVersionResponse` JSON for `value` (version `number`).
        func accessBody(for value: SecretValue, number: String) -> [UInt8] {
            if let cached = body.withLock({ $0 }), cached.value == value { return cached.bytes }
            var json = "{\"name\":\(ServeJSON.quoted("\(parent)/versions/\(number)")),\"payload\":{"
            json += "\"data\":\"\(Data(value.bytes).base64EncodedString())\",\"dataCrc32c\":\"\(CRC32C.checksum(value.bytes))\"}}"
            let bytes = Array(json.utf8)
            body.withLock { $0 = (value, bytes) }
            return bytes
        }
    }

    private let referencePaths = Mutex<[String: ReferencePath]>([:])
    private let decisions = Mutex<[PolicyKey: Bool]>([:])
    private let rateLimits = Mutex<[Principal: ServeConfiguration.RateLimit?]>([:])
    private let googleResources = Mutex<[GoogleKey: GoogleResource]>([:])
    private let requestReasons = Mutex<[Principal: String]>([:])

    /// The memoized value for `key` in `table`, made with `make` on first use (a thrown
    /// error is not kept).
    private static func memo<Key: Hashable & Sendable, Value: Sendable, Failure: Error>(
        _ table: borrowing Mutex<[Key: Value]>, _ key: Key, _ make: () throws(Failure) -> Value
    ) throws(Failure) -> Value {
        if let known = table.withLock({ $0[key] }) { return known }
        let made = try make()
        table.withLock { table in
            if table.count >= limit { table.removeAll(keepingCapacity: true) }
            table[key] = made
        }
        return made
    }

    func referencePath(_ path: String, make: () throws(ServeError) -> ReferencePath) throws(ServeError) -> ReferencePath {
        try Self.memo(referencePaths, path, make)
    }

    func decision(_ key: PolicyKey, make: () -> Bool) -> Bool {
        Self.memo(decisions, key, make)
    }

    func rateLimit(for principal: Principal, make: () -> ServeConfiguration.RateLimit?) -> ServeConfiguration.RateLimit? {
        Self.memo(rateLimits, principal, make)
    }

    func requestReason(for principal: Principal, make: () -> String) -> String {
        Self.memo(requestReasons, principal, make)
    }

    func googleResource(_ key: GoogleKey, make: () throws(ServeError) -> GoogleResource) throws(ServeError) -> GoogleResource {
        try Self.memo(googleResources, key, make)
    }
}

/// Percent-decoding of path parts without Foundation when there is nothing to decode.
enum PathText {
    /// `text` percent-decoded; `nil` when malformed (or decoding to invalid UTF-8).
    static func decoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return text.removingPercentEncoding
    }
}
