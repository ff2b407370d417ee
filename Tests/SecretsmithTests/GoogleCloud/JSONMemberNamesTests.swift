import Foundation
import NIOHTTP1
import Testing

@testable import Secretsmith

@Suite struct JSONMemberNamesTests {
    @Test(arguments: [
        #"{"aud":["a"],"sub":"x","aud":"b"}"#,
        #"{"a":1,"\u0061":2}"#,
        #"{"k":{"n":1,"n":2}}"#,
        #"{"k":[{"n":1},{"m":1,"m":2}]}"#,
    ])
    func aRepeatedMemberNameIsFound(json: String) {
        #expect(JSONMemberNames.containsDuplicate(Data(json.utf8)))
    }

    @Test(arguments: [
        #"{"aud":"a","sub":"aud"}"#,
        #"{"a":{"n":1},"b":{"n":2}}"#,
        #"{"a":[{"n":1},{"n":2}],"n":3}"#,
        #"{"a\"b":1,"a":2,"b":"a"}"#,
        #"["x","x"]"#,
    ])
    func distinctNamesPerObjectAreNotDuplicates(json: String) {
        #expect(!JSONMemberNames.containsDuplicate(Data(json.utf8)))
    }
}

/// A token endpoint's answer naming `access_token` twice (a fuzzer's input) was read as its
/// first member by JSONDecoder and its last by other readers; it is refused.
@Suite struct OAuthDuplicateMemberTests {
    @Test func anAnswerNamingAMemberTwiceIsRefused() {
        let answer = AuthHTTPTransport.Answer(
            status: 200, headers: HTTPHeaders(), body: Array(#"{"access_token":"t","access_token":"u"}"#.utf8))
        #expect {
            try OAuthTokenResponse.token(from: answer, source: "test", endpoint: "token endpoint")
        } throws: { error in
            (error as? AuthenticationError)?.message.contains("member named twice") == true
        }
    }
}
