import Foundation
import Testing

@testable import SecretManagerEmulator

@Suite struct WireFormatTests {
    @Test func accessAnswerIsExact() {
        let json = WireFormat.access(name: "projects/1/secrets/s/versions/4", payload: Array("seCr3t\n".utf8))
        let text = String(decoding: json.serialized, as: UTF8.self)
        #expect(text == #"{"name":"projects/1/secrets/s/versions/4","payload":{"data":"c2VDcjN0Cg==","dataCrc32c":"3131222104"}}"#)
    }

    @Test func emptyPayloadOmitsData() {
        let text = String(decoding: WireFormat.access(name: "n", payload: []).serialized, as: UTF8.self)
        #expect(text == #"{"name":"n","payload":{"dataCrc32c":"0"}}"#)
    }

    @Test func timestampsAreRFC3339() {
        #expect(WireFormat.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(WireFormat.timestamp(Date(timeIntervalSince1970: 1_709_251_199.25)) == "2024-02-29T23:59:59.250000Z")
        #expect(WireFormat.timestamp(Date(timeIntervalSince1970: 4_102_444_800)) == "2100-01-01T00:00:00.000000Z")
    }

    @Test func jsonEscapes() {
        let value = JSONValue.object([("k", .string("a\"b\\c\n\u{01}/é"))])
        #expect(String(decoding: value.serialized, as: UTF8.self) == #"{"k":"a\"b\\c\n\u0001/é"}"#)
    }
}
