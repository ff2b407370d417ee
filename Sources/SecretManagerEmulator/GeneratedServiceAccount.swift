import Crypto
import Foundation
import _CryptoExtras

/// A service account with a freshly generated RSA key, for tests, demos and
/// `secretsmith emulator --generate-service-account`: the key file a client uses and the
/// seed entry the emulator verifies it with.
///
/// The private key never leaves this value except through ``keyFileJSON(tokenURI:projectID:)``
/// and ``privateKeyPEM``, which write it where a key file belongs.
public struct GeneratedServiceAccount: Sendable {
    /// The account's email.
    public let email: String
    /// The key's id (`private_key_id`, the JWT's `kid`): 40 hex digits, like Google's.
    public let privateKeyID: String
    private let privateKey: _RSA.Signing.PrivateKey

    /// Generates a 2048-bit RSA key.
    ///
    /// - Parameters:
    ///   - email: the account's email.
    ///   - privateKeyID: the key id; `nil` makes a random one.
    /// - Throws: if key generation fails.
    public init(email: String, privateKeyID: String? = nil) throws {
        self.email = email
        var generator = SystemRandomNumberGenerator()
        self.privateKeyID = privateKeyID
            ?? (0..<20).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        self.privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    }

    /// The private key in PEM, PKCS#8 (`BEGIN PRIVATE KEY`), as Google's key files carry it.
    public var privateKeyPEM: String { privateKey.pkcs8PEMRepresentation }

    /// The private key in PEM, PKCS#1 (`BEGIN RSA PRIVATE KEY`), the older form some
    /// tools write.
    public var pkcs1PrivateKeyPEM: String { privateKey.pemRepresentation }

    /// The public key in PEM, SPKI (`BEGIN PUBLIC KEY`), for the seed's `public_key`.
    public var publicKeyPEM: String { privateKey.publicKey.pemRepresentation }

    /// The seed entry of this account.
    ///
    /// - Parameter tokenCreators: who may impersonate it, or `nil` for anyone.
    public func seedAccount(tokenCreators: [String]? = nil) -> EmulatorSeed.ServiceAccount {
        EmulatorSeed.ServiceAccount(
            email: email, privateKeyID: privateKeyID, publicKeyPEM: publicKeyPEM, tokenCreators: tokenCreators)
    }

    /// A service account key file, in the layout of Google's (`type`, `project_id`,
    /// `private_key_id`, `private_key`, `client_email`, `client_id`, `token_uri`, …).
    ///
    /// - Parameters:
    ///   - tokenURI: where clients exchange assertions, e.g. `http://127.0.0.1:8085/token`.
    ///   - projectID: the `project_id` field.
    ///   - pkcs1: write the private key in PKCS#1 rather than PKCS#8.
    public func keyFileJSON(tokenURI: String, projectID: String = "emulator-project", pkcs1: Bool = false) -> String {
        let object: [String: Any] = [
            "type": "service_account", "project_id": projectID, "private_key_id": privateKeyID,
            "private_key": pkcs1 ? pkcs1PrivateKeyPEM : privateKeyPEM, "client_email": email,
            "client_id": "100000000000000000001", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": tokenURI, "universe_domain": "googleapis.com",
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A JWT signed with this key (RS256), with any header and claims: for tests that
    /// send assertions a client would not (a wrong audience, an expired one).
    ///
    /// - Parameters:
    ///   - claims: the claims object.
    ///   - header: the header object; default `{"alg":"RS256","typ":"JWT","kid":privateKeyID}`.
    public func signedJWT(claims: [String: any Sendable], header: [String: any Sendable]? = nil) throws -> String {
        let headerObject: [String: Any] = header ?? ["alg": "RS256", "typ": "JWT", "kid": privateKeyID]
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        let input = Self.base64URL(try JSONSerialization.data(withJSONObject: headerObject, options: options))
            + "." + Self.base64URL(try JSONSerialization.data(withJSONObject: claims as [String: Any], options: options))
        // RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3).
        let signature = try privateKey.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + Self.base64URL(signature.rawRepresentation)
    }

    /// base64url without padding.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
