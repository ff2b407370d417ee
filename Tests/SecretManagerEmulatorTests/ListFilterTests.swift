import Testing

@testable import SecretManagerEmulator

@Suite struct ListFilterTests {
    private func matches(_ filter: String, state: String, name: String = "projects/1/secrets/db/versions/1") throws -> Bool {
        try ListFilter(filter, fields: ["state", "name"]).matches { $0 == "state" ? state : name }
    }

    @Test func stateTerms() throws {
        #expect(try matches("", state: "DISABLED"))
        #expect(try matches("state:ENABLED", state: "ENABLED"))
        #expect(try !matches("state:ENABLED", state: "DISABLED"))
        #expect(try matches("state:enabled", state: "ENABLED"))
        #expect(try matches("state=DISABLED", state: "DISABLED"))
        #expect(try matches("state!=DESTROYED", state: "DISABLED"))
        #expect(try !matches("NOT state:DESTROYED", state: "DESTROYED"))
        #expect(try matches("-state:DESTROYED", state: "ENABLED"))
        #expect(try matches("state:(ENABLED OR DISABLED)", state: "DISABLED"))
        #expect(try !matches("state:(ENABLED OR DISABLED)", state: "DESTROYED"))
        #expect(try matches("state:ENABLED OR state:DESTROYED", state: "DESTROYED"))
        #expect(try !matches("state:ENABLED AND name:versions/2", state: "ENABLED"))
        #expect(try matches("state:ENABLED name:versions/1", state: "ENABLED"))
        #expect(try matches("name:\"db/versions\"", state: "ENABLED"))
    }

    @Test func rejectsUnknownFieldsAndSyntax() {
        #expect(throws: GoogleAPIError.self) { try ListFilter("labels.env:prod", fields: ["state"]) }
        #expect(throws: GoogleAPIError.self) { try ListFilter("ENABLED", fields: ["state"]) }
        #expect(throws: GoogleAPIError.self) { try ListFilter("state:ENABLED OR", fields: ["state"]) }
        #expect(throws: GoogleAPIError.self) { try ListFilter("NOT", fields: ["state"]) }
    }

    @Test func globPatterns() {
        #expect(GlobPattern("db-password").matches("projects/p/secrets/db-password/versions/1"))
        #expect(!GlobPattern("db-password").matches("projects/p/secrets/api/versions/1"))
        #expect(GlobPattern("projects/*/secrets/db-*").matches("projects/p/secrets/db-password/versions/1"))
        #expect(GlobPattern("*/versions/?").matches("projects/p/secrets/s/versions/7"))
        #expect(!GlobPattern("*/versions/?").matches("projects/p/secrets/s/versions/17"))
        #expect(!GlobPattern("projects/q/*").matches("projects/p/secrets/s"))
    }

    @Test func pageTokensRoundTrip() throws {
        let items = Array(1...5)
        let first = try PageToken.page(of: items, pageSize: "2", pageToken: nil)
        #expect(Array(first.items) == [1, 2])
        let second = try PageToken.page(of: items, pageSize: "2", pageToken: first.next)
        #expect(Array(second.items) == [3, 4])
        let third = try PageToken.page(of: items, pageSize: "2", pageToken: second.next)
        #expect(Array(third.items) == [5])
        #expect(third.next == nil)
        #expect(throws: GoogleAPIError.self) { try PageToken.page(of: items, pageSize: "2", pageToken: "garbage") }
        #expect(throws: GoogleAPIError.self) { try PageToken.page(of: items, pageSize: "-1", pageToken: nil) }
    }
}
