import Foundation
@testable import Secretsmith
import Testing

/// The access response is read without `JSONDecoder` when it has Secret Manager's exact
/// shape, and by `JSONDecoder` otherwise: both must agree, and nothing may be accepted
/// that `JSONDecoder` refuses.
@Suite struct AccessResponseDecodingTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func foundation(_ text: String) -> AccessSecretVersionResponse? {
        try? JSONDecoder().decode(AccessSecretVersionResponse.self, from: Data(text.utf8))
    }

    @Test("the shape Secret Manager sends is read without JSONDecoder, whatever the order and whitespace",
          arguments: [
              #"{"name":"projects/1/secrets/s/versions/3","payload":{"data":"dmFsdWU=","dataCrc32c":"123"}}"#,
              "{\n  \"payload\": {\n    \"dataCrc32c\": \"123\",\n    \"data\": \"dmFsdWU=\"\n  },\n  \"name\": \"projects/1/secrets/s/versions/3\"\n}\n",
              " \t\r\n{ \"name\" : \"projects/1/secrets/s/versions/3\" , \"payload\" : { \"data\" : \"dmFsdWU=\" , \"dataCrc32c\" : \"123\" } } ",
          ])
    func canonical(text: String) throws {
        let fast = try #require(AccessSecretVersionResponse.parseCanonical(bytes(text)))
        let reference = try #require(foundation(text))
        #expect(fast.name == reference.name)
        #expect(fast.payload?.data == reference.payload?.data)
        #expect(fast.payload?.dataCrc32c == reference.payload?.dataCrc32c)
        #expect(fast.versionNumber == 3)
    }

    @Test("absent fields: an empty payload, no payload, an empty object")
    func absentFields() throws {
        let empty = try #require(AccessSecretVersionResponse.parseCanonical(bytes(#"{"name":"n/versions/1","payload":{}}"#)))
        #expect(empty.payload != nil && empty.payload?.data == nil && empty.payload?.dataCrc32c == nil)
        let none = try #require(AccessSecretVersionResponse.parseCanonical(bytes(#"{"name":"n/versions/1"}"#)))
        #expect(none.payload == nil)
        let nothing = try #require(AccessSecretVersionResponse.parseCanonical(bytes("{}")))
        #expect(nothing.name == nil && nothing.payload == nil)
    }

    @Test("anything else is left to JSONDecoder, which decides the same as before",
          arguments: [
              // Escapes, numbers, nulls, other fields, duplicates, non-ASCII: valid JSON.
              #"{"name":"a\/b","payload":{"data":"dmFsdWU="}}"#,
              #"{"name":"n","payload":{"data":"dmFsdWU=","dataCrc32c":123}}"#,
              #"{"name":null,"payload":{"data":"dmFsdWU="}}"#,
              #"{"name":"n","payload":{"data":"dmFsdWU="},"extra":[1,{"x":true}]}"#,
              #"{"name":"n","name":"m"}"#,
              #"{"name":"é"}"#,
          ])
    func fallsBackOnValidJSON(text: String) throws {
        #expect(AccessSecretVersionResponse.parseCanonical(bytes(text)) == nil)
        let decoded = try AccessSecretVersionResponse.decode(bytes(text))
        let reference = try #require(foundation(text))
        #expect(decoded.name == reference.name)
        #expect(decoded.payload?.data == reference.payload?.data)
        #expect(decoded.payload?.dataCrc32c == reference.payload?.dataCrc32c)
    }

    @Test("what JSONDecoder refuses is refused",
          arguments: [
              "", "{", "[]", #"{"name":"n""#, #"{"name":"n"} x"#, #"{"name":"n"}}"#,
              #"{"name" "n"}"#, #"{"payload":{"data":"x"}"#, "{\"name\":\"a\nb\"}", #"{"name":"n" "payload":{}}"#,
          ])
    func refusesInvalid(text: String) {
        #expect(foundation(text) == nil)
        #expect(AccessSecretVersionResponse.parseCanonical(bytes(text)) == nil)
        #expect(throws: (any Error).self) { try AccessSecretVersionResponse.decode(bytes(text)) }
    }

    @Test("base64: canonical text is decoded here, the rest as Foundation decides")
    func base64() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 4, 5, 6, 64, 65, 66, 1000] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(data).base64EncodedString()
            #expect(Base64Payload.decode(text) == data, "length \(length)")
            #expect(text.utf8.withContiguousStorageIfAvailable { Base64Payload.decodeCanonical($0) } == data)
        }
        for text in ["QQ==", "QUI=", "QUJD", "QR==", "QUJ=", "Q===", "QQ=", "QQ", "Q", "====", "QQ==QQ==", "QU JD",
                     "QUJD\n", "QU-D", "QU_D", "=QUJ", "Q=JD", "QUJDRA==", "QUJDRA=", "\u{e9}QUJ"] {
            let expected = Data(base64Encoded: text).map { [UInt8]($0) }
            #expect(Base64Payload.decode(text) == expected, "\(text)")
        }
    }
}
