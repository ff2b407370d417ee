import Crypto
import Foundation
import Logging
import SecretsmithServer

/// `jwt`: bearer tokens through `serve`'s ``JWTAuthenticator`` over a fixed JWKS (one
/// P-256 key, `kid` `fuzz-es256`) at a fixed time.
///
/// Input: byte 0 holds flags (bit 0: the rest is `HEADER-JSON \n CLAIMS-JSON`, which the
/// target signs with the JWKS's key, so that the fuzzer reaches the claim checks behind the
/// signature; otherwise the rest is the token as sent; bit 1: the issuer is Google's, else
/// a Kubernetes cluster's).
///
/// Properties: a principal is returned only for a token whose ES256 signature verifies
/// against the key (checked here with swift-crypto, independently of jwt-kit), whose `iss`
/// is the issuer's, whose `aud` names the configured audience and whose `exp` is a number
/// not before now minus the 60 s skew (the claims read here with `JSONSerialization`); a
/// refusal's reason has no control characters and never contains the token's signature.
enum JWTFuzzing {
    /// The fixed signing key (a constant scalar: reproducers stay valid across runs).
    static let key = try! P256.Signing.PrivateKey(rawRepresentation: Array(repeating: UInt8(0x2A), count: 31) + [0x07])
    static let kid = "fuzz-es256"
    static let audience = "secretsmith"
    static let kubernetesIssuer = "https://kubernetes.default.svc.cluster.local"
    /// 2027-01-15T08:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static var jwks: [UInt8] {
        let raw = key.publicKey.rawRepresentation
        let x = base64URL(raw.prefix(32)), y = base64URL(raw.suffix(32))
        return Array(
            #"{"keys":[{"kty":"EC","crv":"P-256","kid":"\#(kid)","alg":"ES256","use":"sig","x":"\#(x)","y":"\#(y)"}]}"#.utf8)
    }

    static let authenticators: [JWTAuthenticator] = [kubernetesIssuer, "https://accounts.google.com"].map { issuer in
        let configuration = JWTIssuerConfiguration(
            kind: issuer == kubernetesIssuer ? .kubernetes : .google, issuer: issuer, audiences: [audience],
            keys: .file("/fuzz/jwks.json"))
        let fixedNow: @Sendable () -> Date = { JWTFuzzing.now }
        let keys = jwks
        let store = JWKSKeyStore(
            source: configuration.keys, fetch: { (keys, nil) }, now: fixedNow,
            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
        return JWTAuthenticator(configuration: configuration, keyStore: store, now: fixedNow)
    }

    static func base64URL(_ bytes: some DataProtocol) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token of `header` and `claims` signed with ``key``.
    static func signed(header: some DataProtocol, claims: some DataProtocol) -> String {
        let input = base64URL(header) + "." + base64URL(claims)
        let signature = try! key.signature(for: Data(input.utf8))
        return input + "." + base64URL(signature.rawRepresentation)
    }

    static func run(_ bytes: [UInt8]) async throws(PropertyViolation) {
        let flags = bytes.first ?? 0
        let rest = bytes.dropFirst()
        let token: String
        if flags & 1 != 0 {
            let newline = rest.firstIndex(of: UInt8(ascii: "\n")) ?? rest.endIndex
            token = signed(header: rest[..<newline], claims: newline < rest.endIndex ? rest[(newline + 1)...] : [])
        } else {
            token = String(decoding: rest, as: UTF8.self)
        }
        let authenticator = authenticators[Int(flags >> 1) & 1]
        let principal: Principal?
        do throws(BearerTokenRejection) {
            principal = try await authenticator.authenticate(bearerToken: token)
        } catch {
            if let control = error.reason.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw PropertyViolation("the refusal \(error.reason.debugDescription) has the control character U+\(String(control.value, radix: 16))")
            }
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 3, parts[2].count >= 16, error.reason.contains(parts[2]) {
                throw PropertyViolation("the refusal contains the token's signature")
            }
            return
        }
        guard let principal else { return }
        try checkAccepted(token, principal: principal, issuers: authenticator.configuration.acceptedIssuers)
    }

    /// The independent checks of a token the authenticator accepted.
    static func checkAccepted(_ token: String, principal: Principal, issuers: Set<String>) throws(PropertyViolation) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let header = json(parts[0]), let claims = json(parts[1]),
            let signature = decode(parts[2])
        else {
            throw PropertyViolation("\(principal) was accepted from a token that is not three base64url JSON segments")
        }
        guard header["alg"] as? String == "ES256",
            let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature),
            key.publicKey.isValidSignature(parsed, for: Data((parts[0] + "." + parts[1]).utf8))
        else {
            throw PropertyViolation("\(principal) was accepted from a token whose signature does not verify")
        }
        guard let issuer = claims["iss"] as? String, issuers.contains(issuer) else {
            throw PropertyViolation("\(principal) was accepted with the issuer \(String(describing: claims["iss"]))")
        }
        let audiences = (claims["aud"] as? String).map { [$0] } ?? (claims["aud"] as? [Any])?.compactMap { $0 as? String } ?? []
        guard audiences.contains(audience) else {
            throw PropertyViolation("\(principal) was accepted with the audience \(String(describing: claims["aud"]))")
        }
        guard let expiry = (claims["exp"] as? NSNumber)?.doubleValue, expiry + 60 >= now.timeIntervalSince1970 else {
            throw PropertyViolation("\(principal) was accepted with the expiry \(String(describing: claims["exp"]))")
        }
    }

    static func decode(_ segment: String) -> Data? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if text.count % 4 != 0 { text += String(repeating: "=", count: 4 - text.count % 4) }
        return Data(base64Encoded: text)
    }

    static func json(_ segment: String) -> [String: Any]? {
        decode(segment).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }
}
