import Crypto
import Foundation
import InMemoryLogging
import Logging
import SecretsmithTestSupport
import Testing

@testable import SecretsmithServer

@Suite struct StaticTokenAuthenticatorTests {
    static let ciToken = "ci-token-\(UUID().uuidString)"
    static let deployToken = "deploy-token-\(UUID().uuidString)"

    static func hashLine(_ name: String, _ token: String) -> String {
        let hex = SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
        return "\(name) sha256:\(hex)"
    }

    static var validFile: String {
        """
        # tokens for the service
        \(hashLine("ci", ciToken))

          # indented comment
        \(hashLine("deployer", deployToken))\t
        """
    }

    @Test func parsesNamesHashesCommentsAndBlankLines() throws {
        let file = try StaticTokenFile.parse(Self.validFile, path: "tokens")
        #expect(file.entries.map(\.name) == ["ci", "deployer"])
        #expect(file.entries.map(\.line) == [2, 5])
        #expect(file.entries[0].digest == Array(SHA256.hash(data: Array(Self.ciToken.utf8))))
    }

    @Test func hashTokenLineMatchesAnIndependentSHA256() {
        #expect(StaticTokenFile.line(name: "ci", token: Self.ciToken) == Self.hashLine("ci", Self.ciToken))
        #expect(
            StaticTokenFile.line(name: "x", token: "test")
                == "x sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    }

    @Test func uppercaseHexIsAccepted() throws {
        let line = Self.hashLine("ci", Self.ciToken)
        let upper = "ci sha256:" + line.dropFirst("ci sha256:".count).uppercased()
        let file = try StaticTokenFile.parse(upper, path: "tokens")
        #expect(file.entries[0].digest == Array(SHA256.hash(data: Array(Self.ciToken.utf8))))
    }

    @Test func duplicateNamesAreRefusedNamingBothLines() {
        let text = "\(Self.hashLine("ci", "a"))\n# x\n\(Self.hashLine("ci", "b"))\n"
        #expect(throws: AuthenticationSetupError(
            path: "/etc/tokens", line: 3,
            reason: "The token name `ci` is listed twice (first on line 1); names must be unique.")) {
            try StaticTokenFile.parse(text, path: "/etc/tokens")
        }
    }

    @Test(arguments: ["ci plain-text-secret-value", "plain-text-secret-value", "ci sha256:plain-text-secret-value"])
    func plainTextTokensAreRefusedWithAHintAndNeverRepeated(line: String) {
        do throws(AuthenticationSetupError) {
            _ = try StaticTokenFile.parse("# header\n\(line)\n", path: "tokens")
            Issue.record("a plain-text token was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("tokens:2: "))
            #expect(error.description.contains("secretsmith hash-token NAME"))
            #expect(!error.description.contains("plain-text-secret-value"))
        }
    }

    @Test func otherHashAlgorithmsAndBadNamesAreRefused() {
        #expect(throws: AuthenticationSetupError.self) { try StaticTokenFile.parse("ci md5:abcd", path: "t") }
        #expect(throws: AuthenticationSetupError.self) {
            try StaticTokenFile.parse(Self.hashLine("c/i", "a"), path: "t")
        }
        #expect(throws: AuthenticationSetupError.self) {
            try StaticTokenFile.parse(Self.hashLine("ci", "a") + " extra", path: "t")
        }
    }

    @Test func missingFileNamesThePath() {
        do throws(AuthenticationSetupError) {
            _ = try StaticTokenFile.load(path: "/nonexistent/secretsmith-tokens")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/secretsmith-tokens: "))
            #expect(error.description.contains("it does not exist"))
        }
    }

    @Test func aFIFOOrADeviceIsRefusedWithoutReadingIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("tokens").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // No writer opens the FIFO: a blocking read would hang here.
        for path in [fifo, "/dev/zero", directory.path] {
            do throws(AuthenticationSetupError) {
                _ = try StaticTokenFile.load(path: path)
                Issue.record("\(path) was accepted as a tokens file")
            } catch {
                #expect(error.description.hasPrefix("\(path): "))
                #expect(error.description.contains("not a regular file"), "\(error.description)")
            }
        }
    }

    @Test func authenticatesListedTokensAndIgnoresOthers() async throws {
        let authenticator = StaticTokenAuthenticator(
            file: try StaticTokenFile.parse(Self.validFile, path: "tokens"), path: "tokens")
        #expect(try await authenticator.authenticate(bearerToken: Self.ciToken) == .staticToken(named: "ci"))
        #expect(try await authenticator.authenticate(bearerToken: Self.deployToken) == .staticToken(named: "deployer"))
        #expect(try await authenticator.authenticate(bearerToken: "unknown") == nil)
        #expect(try await authenticator.authenticate(bearerToken: "") == nil)
        // A token whose hash is listed is not the hash itself.
        let hashText = String(Self.hashLine("ci", Self.ciToken).dropFirst("ci sha256:".count))
        #expect(try await authenticator.authenticate(bearerToken: hashText) == nil)
    }

    @Test func constantTimeComparisonComparesWholeStrings() {
        #expect(StaticTokenAuthenticator.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!StaticTokenAuthenticator.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!StaticTokenAuthenticator.constantTimeEqual([0, 2, 3], [1, 2, 3]))
        #expect(!StaticTokenAuthenticator.constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(StaticTokenAuthenticator.constantTimeEqual([], []))
    }

    @Test func reloadSwapsTheSetAndABadFileKeepsTheOldOne() async throws {
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .trace
        try await withWorkspace { workspace in
            let path = try workspace.write("tokens", Self.hashLine("ci", Self.ciToken) + "\n")
            let authenticator = try StaticTokenAuthenticator(path: path, logger: logger)
            #expect(try await authenticator.authenticate(bearerToken: Self.ciToken) == .staticToken(named: "ci"))
            #expect(try await authenticator.authenticate(bearerToken: Self.deployToken) == nil)

            try workspace.write("tokens", Self.hashLine("deployer", Self.deployToken) + "\n")
            #expect(try authenticator.reload() == 1)
            #expect(try await authenticator.authenticate(bearerToken: Self.ciToken) == nil)
            #expect(try await authenticator.authenticate(bearerToken: Self.deployToken) == .staticToken(named: "deployer"))

            try workspace.write("tokens", "deployer \(Self.ciToken)\n")
            #expect(throws: AuthenticationSetupError.self) { try authenticator.reload() }
            #expect(try await authenticator.authenticate(bearerToken: Self.deployToken) == .staticToken(named: "deployer"))
            let text = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            // Each reload is logged once, by the authenticator (serve's SIGHUP handler used to log it again).
            #expect(logs.entries.filter { $0.message.description.contains("not reloaded") }.count == 1)
            #expect(logs.entries.filter { $0.message.description.contains("Reloaded") }.count == 1)
            #expect(text.contains("\(path):1"))
            #expect(!text.contains(Self.ciToken))
            #expect(!text.contains(Self.deployToken))

            // An empty file is valid (every token revoked) but locks every static-token caller out: a warning.
            try workspace.write("tokens", "# none\n")
            #expect(try authenticator.reload() == 0)
            #expect(try await authenticator.authenticate(bearerToken: Self.deployToken) == nil)
            let warning = try #require(logs.entries.last)
            #expect(warning.level == .warning)
            #expect(warning.message.description.contains("lists no token"))
        }
    }

    @Test func chainRefusesWhatNoAuthenticatorRecognises() async throws {
        let chain = AuthenticatorChain([
            StaticTokenAuthenticator(file: try StaticTokenFile.parse(Self.validFile, path: "t"), path: "t")
        ])
        #expect(try await chain.authenticate(authorization: "Bearer \(Self.ciToken)") == .staticToken(named: "ci"))
        #expect(try await chain.authenticate(authorization: "bearer  \(Self.ciToken) ") == .staticToken(named: "ci"))
        for header in [nil, "", "Bearer ", "Basic \(Self.ciToken)", "Bearer unknown-opaque-token"] as [String?] {
            do throws(BearerTokenRejection) {
                _ = try await chain.authenticate(authorization: header)
                Issue.record("accepted \(String(describing: header))")
            } catch {
                #expect(!error.isUnavailable)
                #expect(!error.reason.contains(Self.ciToken))
                #expect(!error.reason.contains("unknown-opaque-token"))
            }
        }
    }

    @Test func chainStopsAtTheFirstRejection() async throws {
        struct Refusing: BearerTokenAuthenticator {
            func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal? {
                throw BearerTokenRejection(reason: "refused")
            }
        }
        struct Accepting: BearerTokenAuthenticator {
            func authenticate(bearerToken: String) async throws(BearerTokenRejection) -> Principal? {
                .staticToken(named: "any")
            }
        }
        let chain = AuthenticatorChain([Refusing(), Accepting()])
        await #expect(throws: BearerTokenRejection(reason: "refused")) {
            try await chain.authenticate(bearerToken: "x")
        }
    }
}
