import NIOHTTP1
import Testing

@testable import Secretsmith

@Suite struct DurationConversionsTests {
    @Test func secondsRoundToTheNanosecond() {
        #expect(Duration.secondsDouble(1.5) == .milliseconds(1500))
        #expect(Duration.secondsDouble(0.000_000_001_4) == .nanoseconds(1))
        #expect(Duration.secondsDouble(-2) == .seconds(-2))
    }

    /// A token endpoint's `expires_in` of 2e61 (a fuzzer's input) trapped converting to
    /// 64-bit nanoseconds.
    @Test(arguments: [2e61, 1e300, Double.infinity, 9.3e9])
    func spansBeyond64BitNanosecondsSaturate(_ seconds: Double) {
        #expect(Duration.secondsDouble(seconds) == .nanoseconds(Int64.max))
        #expect(Duration.secondsDouble(-seconds) == .nanoseconds(Int64.min))
    }

    @Test func notANumberIsZero() {
        #expect(Duration.secondsDouble(.nan) == .zero)
    }

    @Test func anAbsurdTokenLifetimeIsKeptAsTheLongestOne() throws {
        let answer = AuthHTTPTransport.Answer(
            status: 200, headers: HTTPHeaders(), body: Array(#"{"access_token":"t","expires_in":19999999999999999999999999999e33}"#.utf8))
        let token = try OAuthTokenResponse.token(from: answer, source: "test", endpoint: "token endpoint")
        #expect(token.expiresIn == .nanoseconds(Int64.max))
    }
}
