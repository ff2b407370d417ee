
import Foundation
import JWTKit
import Synchronization
import _CryptoExtras

/// A JSON value for test claims and headers.
enum TestJSON: Codable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([TestJSON])
    case object([String: TestJSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: TestJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, TestJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TestJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: TestJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded() { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// Claims jwt-kit signs as they are.
struct TestClaims: JWTPayload {
    var claims: [String: TestJSON]
    init(_ claims: [String: TestJSON]) { self.claims = claims }
    init(from decoder: any Decoder) throws { claims = try [String: TestJSON](from: decoder) }
    func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A wall clock the test moves.
final class TestWallClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    var seconds: Int { Int(now.timeIntervalSince1970) }
    func advance(seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var closure: @Sendable () -> Date { { [self] in self.now } }
}

/// An issuer's signing keys, made once per test run (RSA generation is slow), and tokens
/// signed with them by jwt-kit.
enum TestIssuer {
    static let rsa: JWTKit.Insecure.RSA.PrivateKey = try! JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
    static let otherRSA: JWTKit.Insecure.RSA.PrivateKey = try! JWTKit.Insecure.RSA.PrivateKey(
        backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
    static let ec = ES256PrivateKey()

    /// The JWK of the RSA key (public part) under `kid`.
    static func rsaJWK(kid: String, key: JWTKit.Insecure.RSA.PrivateKey = rsa, alg: String? = "RS256") -> [String: Any] {
        let primitives = try! key.publicKey.getKeyPrimitives()
        var jwk: [String: Any] = [
            "kty": "RSA", "kid": kid, "use": "sig", "n": base64URL(primitives.modulus),
            "e": base64URL(primitives.publicExponent),
        ]
        if let alg { jwk["alg"] = alg }
        return jwk
    }

    /// The JWK of the EC key (public part) under `kid`.
    static func ecJWK(kid: String) -> [String: Any] {
        let parameters = ec.publicKey.parameters!
        return ["kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256", "x": parameters.x, "y": parameters.y]
    }

    static func jwks(_ keys: [[String: Any]]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: ["keys": keys]))
    }

    /// A token signed by jwt-kit with the RSA key (RS256) or the EC key (ES256).
    static func token(
        _ claims: [String: TestJSON], kid: String? = "rsa-1", ec: Bool = false, rsaKey: JWTKit.Insecure.RSA.PrivateKey = rsa,
        headerAlg: String? = nil
    ) async throws -> String {
        let keys = JWTKeyCollection()
        if ec {
            await keys.add(ecdsa: TestIssuer.ec, kid: kid.map { JWKIdentifier(string: $0) })
        } else {
            await keys.add(rsa: rsaKey, digestAlgorithm: .sha256, kid: kid.map { JWKIdentifier(string: $0) })
        }
        var header = JWTHeader()
        if let headerAlg { header.alg = headerAlg }
        return try await keys.sign(TestClaims(claims), kid: kid.map { JWKIdentifier(string: $0) }, header: header)
    }

    /// An unsigned token (`alg: none`).
    static func unsignedToken(_ claims: [String: TestJSON], kid: String = "rsa-1") throws -> String {
        let header = try JSONEncoder().encode(["alg": "none", "kid": kid, "typ": "JWT"])
        let payload = try JSONEncoder().encode(claims)
        return "\(base64URL(header)).\(base64URL(payload))."
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A value tests share with closures.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }
}
