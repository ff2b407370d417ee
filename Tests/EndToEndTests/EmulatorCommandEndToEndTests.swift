import Foundation
import SecretsmithTestSupport
import Testing

/// `secretsmith emulator` as a user discovers it.
@Suite struct EmulatorCommandEndToEndTests {
    @Test func helpListsTheServiceAccountKeyGeneratorAndTheFaultEndpoint() throws {
        let workspace = try Workspace()
        let help = try CommandRunner.run(["emulator", "--help"], in: workspace.url)
        #expect(help.status == 0)
        for option in ["--generate-service-account", "--key-file", "--public-key-file", "--token-uri", "--project-id"] {
            #expect(help.stdoutText.contains(option), "\(option) is not in emulator --help")
        }
        #expect(help.stdoutText.contains("/_emulator/faults"))
    }
}
