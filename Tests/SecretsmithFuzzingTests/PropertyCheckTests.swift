import Crypto
import Foundation
import SecretsmithServer
import Testing
import YAML

@testable import SecretsmithFuzzing

/// The property checks themselves: each can fail, so a replay that passes means something.
@Suite struct PropertyCheckTests {
    @Test func markOutsideTheInputIsAViolation() throws {
        let input = Array("a: 1\nbb: 2".utf8)
        try FuzzChecks.checkMark(Mark(line: 2, column: 6), in: input, what: "the end of line 2")
        #expect(throws: PropertyViolation.self) { try FuzzChecks.checkMark(Mark(line: 3, column: 1), in: input, what: "x") }
        #expect(throws: PropertyViolation.self) { try FuzzChecks.checkMark(Mark(line: 1, column: 6), in: input, what: "x") }
        #expect(throws: PropertyViolation.self) { try FuzzChecks.checkMark(Mark(line: 0, column: 1), in: input, what: "x") }
        // A lone \r ends a line in YAML (fuzz/corpus/configuration/lone-cr-*), not elsewhere.
        let carriageReturn = Array("a\rbc\r\nd".utf8)
        try FuzzChecks.checkMark(Mark(line: 2, column: 3), in: carriageReturn, yamlLineBreaks: true, what: "x")
        try FuzzChecks.checkMark(Mark(line: 3, column: 2), in: carriageReturn, yamlLineBreaks: true, what: "x")
        #expect(throws: PropertyViolation.self) {
            try FuzzChecks.checkMark(Mark(line: 3, column: 1), in: carriageReturn, what: "x")
        }
    }

    static let claims = #"{"iss":"https://kubernetes.default.svc.cluster.local","aud":"secretsmith","exp":1800000600,"sub":"system:serviceaccount:payments:api"}"#

    @Test func aTokenTheTargetSignsIsAcceptedAndPassesTheIndependentChecks() async throws {
        let token = JWTFuzzing.signed(header: Array(#"{"alg":"ES256","kid":"fuzz-es256"}"#.utf8), claims: Array(Self.claims.utf8))
        let principal = try await JWTFuzzing.authenticators[0].authenticate(bearerToken: token)
        let accepted = try #require(principal)
        #expect(accepted.name == "kubernetes:payments/api")
        try JWTFuzzing.checkAccepted(token, principal: accepted, issuers: JWTFuzzing.authenticators[0].configuration.acceptedIssuers)
    }

    @Test func theIndependentCheckRefusesAnotherKeysSignature() throws {
        let input = JWTFuzzing.base64URL(Array(#"{"alg":"ES256"}"#.utf8)) + "." + JWTFuzzing.base64URL(Array(Self.claims.utf8))
        let other = P256.Signing.PrivateKey()
        let token = input + "." + JWTFuzzing.base64URL(try other.signature(for: Data(input.utf8)).rawRepresentation)
        #expect(throws: PropertyViolation.self) {
            try JWTFuzzing.checkAccepted(token, principal: .staticToken(named: "x"), issuers: [JWTFuzzing.kubernetesIssuer])
        }
    }

    @Test func anExpiredTokenBreaksTheExpiryProperty() throws {
        let token = JWTFuzzing.signed(
            header: Array(#"{"alg":"ES256"}"#.utf8), claims: Array(Self.claims.replacingOccurrences(of: "1800000600", with: "1700000000").utf8))
        #expect(throws: PropertyViolation.self) {
            try JWTFuzzing.checkAccepted(token, principal: .staticToken(named: "x"), issuers: [JWTFuzzing.kubernetesIssuer])
        }
    }
}
