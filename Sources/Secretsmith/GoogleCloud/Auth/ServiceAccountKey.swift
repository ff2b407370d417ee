import Crypto
import Foundation
import _CryptoExtras

/// A service account key file (`"type": "service_account"`), as the Cloud console and
/// `gcloud iam service-accounts keys create` write it.
///
/// Fields (<https://cloud.google.com/iam/docs/keys-create-delete>): `project_id`, `private_key_id`,
/// `private_key` (PEM, PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`),
/// `client_email`, `token_uri` (default `https://oauth2.googleapis.com/token`). The
/// private key is parsed once and kept only as a key object; its text is not kept, and
/// the description is redacted.
package struct ServiceAccountKey: Sendable, CustomStringConvertible {
    /// Google's OAuth 2.0 token endpoint, the default `token_uri`.
    package static let googleTokenURI = "https://oauth2.googleapis.com/token"

    /// The service account's email (`client_email`), the assertion's issuer.
    package var clientEmail: String
    /// The key's id (`private_key_id`), sent as the JWT header's `kid`.
    package var privateKeyID: String?
    /// The project the key belongs to (`project_id`).
    package var projectID: String?
    /// Where the assertion is exchanged (`token_uri`).
    package var tokenURI: String
    /// The RSA private key.
    let privateKey: _RSA.Signing.PrivateKey

    /// Parses a key file's JSON.
    ///
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - source: the credential source for errors, e.g. `service account key file /etc/sa.json`.
    /// - Throws: ``AuthenticationError`` (`.configuration`) for JSON that is not a service
    ///   account key, or a private key that is not an RSA key of at least 2048 bits in PEM.
    package init(json bytes: [UInt8], source: String) throws {
        try self.init(CredentialsJSONObject(bytes, source: source))
    }

    init(_ object: CredentialsJSONObject) throws {
        let type = try object.optional("type")
        guard type == nil || type == "service_account" else {
            throw AuthenticationError(
                source: object.source,
                message: "the credentials are of type \"\(OAuthTokenResponse.sanitized(type ?? ""))\", not a service account key",
                kind: .configuration)
        }
        clientEmail = try object.required("client_email")
        privateKeyID = try object.optional("private_key_id")
        projectID = try object.optional("project_id")
        tokenURI = try object.optional("token_uri") ?? Self.googleTokenURI
        privateKey = try Self.privateKey(pem: object.required("private_key"), source: object.source)
    }

    /// Reads the PEM private key, PKCS#8 or PKCS#1 (BoringSSL's `PEM_read_bio_RSAPrivateKey`
    /// accepts both).
    private static func privateKey(pem: String, source: String) throws -> _RSA.Signing.PrivateKey {
        do {
            return try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw AuthenticationError(
                source: source,
                message: "the \"private_key\" field is not an RSA key of at least 2048 bits in PEM form (PKCS#8 or PKCS#1)",
                kind: .configuration)
        }
    }

    /// Signs `message` with RS256: RSASSA-PKCS1-v1_5 over its SHA-256 digest.
    ///
    /// RS256 *is* PKCS#1 v1.5 (RFC 7518 §3.3, "RSASSA-PKCS1-v1_5 using SHA-256"), which
    /// swift-crypto names `insecurePKCS1v1_5` to steer new designs towards PSS; JWTs for
    /// Google's token endpoint require RS256, so this padding is the correct one here.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) if signing fails.
    func signRS256(_ message: [UInt8]) throws -> [UInt8] {
        do {
            let signature = try privateKey.signature(for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
            return Array(signature.rawRepresentation)
        } catch {
            throw AuthenticationError(
                source: clientEmail, message: "the private key could not sign the assertion", kind: .configuration)
        }
    }

    package var description: String {
        "ServiceAccountKey(\(clientEmail), private_key_id: \(privateKeyID ?? "none"), private_key: <redacted>)"
    }
}
