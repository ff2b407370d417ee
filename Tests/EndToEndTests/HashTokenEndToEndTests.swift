import Foundation
import SecretsmithTestSupport
import Testing

/// `secretsmith hash-token NAME` as a user runs it: the token on standard input.
@Suite struct HashTokenEndToEndTests {
    /// Runs `printf FORMAT ARG | secretsmith hash-token NAME`.
    func hashToken(_ name: String, input format: String, _ argument: String = "") throws -> CommandRunner.Result {
        try withWorkspace { workspace in
            try CommandRunner.execute(
                ["/bin/sh", "-c", #"printf "$1" "$2" | "$0" hash-token "$3""#, CommandRunner.binary, format, argument, name],
                in: workspace.url, environment: [:])
        }
    }

    @Test func printsTheTokensFileLineWithTheSHA256OfTheToken() throws {
        let result = try hashToken("ci", input: "%s\n", "test")
        #expect(result.status == 0)
        #expect(result.stdoutText == "ci sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n")
        #expect(result.stderr.isEmpty)
        // Without the trailing newline the hash is the same.
        #expect(try hashToken("ci", input: "%s", "test").stdoutText == result.stdoutText)
    }

    @Test func anEmptyTokenOrAnInvalidNameIsAUsageError() throws {
        let empty = try hashToken("ci", input: "\n")
        #expect(empty.status == 64)
        #expect(empty.stdoutText.isEmpty)
        #expect(empty.stderr.contains("no token"))
        let twoLines = try hashToken("ci", input: "%s\nsecond-line\n", "first-line")
        #expect(twoLines.status == 64)
        #expect(!twoLines.stderr.contains("first-line"))
        #expect(try hashToken("bad/name", input: "%s", "test").status == 64)
    }
}
