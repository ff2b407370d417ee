import Foundation
import Testing

@testable import SecretsmithServer

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
