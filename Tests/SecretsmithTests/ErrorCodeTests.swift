import AsyncHTTPClient
import Foundation
import Testing
import YAML

@testable import Secretsmith

/// Every public error carries a code a caller can compare, and a bounded `shortDescription`
/// that logs, metrics and spans use instead of type names or descriptions.
@Suite struct ErrorCodeTests {
    static let yaml = """
        version: 1
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                secrets: { db: {} }
          prod:
            strict_isolation: true
            projects:
              app:
                project_id: acme-app-prod
                secrets: { db: {} }
        """

    static func configuration(_ text: String = yaml, environment: [String: String] = [:]) throws -> Configuration {
        try Configuration.parse(Array(text.utf8), file: "/tmp/secretsmith.yaml", environment: environment)
    }

    @Test func secretManagerCodesCompareAndNameGoogleStatuses() {
        let error = SecretManagerError(code: .notFound, resource: "projects/p/secrets/s/versions/latest", message: "gone")
        #expect(error.code == .notFound && error.code != .failedPrecondition)
        #expect(error.shortDescription == "NOT_FOUND" && error.code.rawValue == "NOT_FOUND")
        #expect(SecretManagerError.Code(rawValue: "RESOURCE_EXHAUSTED") == .resourceExhausted)
        #expect(SecretManagerError.Code(rawValue: "NOT_A_STATUS") == nil)
        #expect(error.underlyingError == nil)
    }

    @Test func configurationErrorsHaveCodes() throws {
        let configuration = try Self.configuration()
        let unknown = ConfigurationError.unknownEnvironment("stagin", in: configuration)
        #expect(unknown.code == .unknownEnvironment && unknown.shortDescription == "UNKNOWN_ENVIRONMENT")
        let cross = ConfigurationError.crossEnvironmentReference(
            try SecretReference.parse("dev/app/db"), activeEnvironment: "prod")
        #expect(cross.code == .crossEnvironmentReference)
        let syntax = #expect(throws: ConfigurationError.self) { try Self.configuration("version: [1\n") }
        #expect(syntax?.code == .yamlSyntax)
        // An unset variable in an environment is reported when that environment is used.
        let unset = try Self.configuration(Self.yaml.replacingOccurrences(of: "acme-app-dev", with: "${NOPE}"))
            .environment(named: "dev")?.variableError
        #expect(unset?.code == .unsetVariable && unset?.shortDescription == "UNSET_VARIABLE")
        #expect(ConfigurationError(message: "x").code == .invalidConfiguration)
    }

    @Test func otherErrorsHaveCodes() {
        #expect(ReferenceError(reference: "a", message: "m").shortDescription == "INVALID_REFERENCE")
        #expect(JSONPointerError(pointer: "/a", message: "m").code == .pointerNotMatched)
        #expect(LockFileError(path: "l", message: "m").code == .invalidLockFile)
        #expect(DeadlineExceededError(deadline: .seconds(2)).shortDescription == "RUN_DEADLINE_EXCEEDED")
        #expect(VersionStateError(resource: "r", version: 1, state: .disabled).code == .versionDisabled)
        #expect(VersionStateError(resource: "r", version: 1, state: .destroyed).code == .versionDestroyed)
        #expect(AuthenticationError(source: "s", message: "m").code == .credentialsRefused)
        #expect(AuthenticationError(source: "s", message: "m", kind: .unavailable).code == .tokenEndpointUnavailable)
        #expect(AuthenticationError(source: "s", message: "m", kind: .configuration).shortDescription == "AUTHENTICATION")
        let template = TemplateError(path: "t", mark: .init(line: 1, column: 1), message: "m")
        #expect(template.code == .invalidTemplate)
        let one = RenderFailure(problems: [RenderProblem(site: nil, reference: nil, error: template)])
        #expect(one.shortDescription == "INVALID_TEMPLATE" && one.underlyingError is TemplateError)
        let two = RenderFailure(problems: one.problems + one.problems)
        #expect(two.code == .problemsFound && two.shortDescription == "PROBLEMS_FOUND" && two.underlyingError == nil)
    }

    @Test func writeAndEncodingErrorsAreLabelledByReason() {
        #expect(OutputWriteError(path: "/x", reason: .symbolicLinkRefused).shortDescription == "SYMBOLIC_LINK_REFUSED")
        #expect(OutputWriteError(path: "/x", reason: .system(operation: "o", errno: 2)).shortDescription == "SYSTEM_CALL_FAILED")
        #expect(OutputEncodingError(format: .dotenv, key: "K", reason: .nulByte).shortDescription == "NUL_BYTE")
        #expect(OutputWriteError(path: "/x", reason: .missingDirectory("/")).code == .missingDirectory)
        #expect(OutputEncodingError(format: .dotenv, key: "K", reason: .lineTooLong(limit: 1)).code == .lineTooLong)
    }

    @Test func labelsComeFromShortDescription() {
        // Before, every error but Secret Manager's and authentication's was "OTHER" in stats
        // and logs, and its Swift type name on spans.
        let pointer = JSONPointerError(pointer: "/a", message: "m")
        #expect(SecretsmithMetrics.errorCode(pointer) == "JSON_POINTER_NOT_MATCHED")
        #expect(SecretsmithSpans.errorType(pointer) == "JSON_POINTER_NOT_MATCHED")
        #expect(SecretsmithSpans.errorType(DeadlineExceededError(deadline: .seconds(1))) == "RUN_DEADLINE_EXCEEDED")
        #expect(SecretsmithSpans.errorType(CancellationError()) == "CANCELLED")
        struct Foreign: Error {}
        #expect(SecretsmithSpans.errorType(Foreign()) == "Foreign")
        #expect(SecretsmithMetrics.errorCode(Foreign()) == "OTHER")
        let counters = ManagerCounters()
        counters.recordFailure(pointer)
        counters.recordFailure(AuthenticationError(source: "s", message: "m"))
        let stats = counters.snapshot(cache: .init(), breakers: [])
        #expect(stats.errors == ["JSON_POINTER_NOT_MATCHED": 1, "AUTHENTICATION": 1])
    }

    @Test func anUnsupportedSchemeIsRecognisedByItsValueNotItsDescription() {
        #expect(AuthHTTPTransport.isUnusableURL(HTTPClientError.unsupportedScheme("ftp"), url: "ftp://host/token"))
        #expect(!AuthHTTPTransport.isUnusableURL(HTTPClientError.unsupportedScheme("gopher"), url: "ftp://host/token"))
        #expect(AuthHTTPTransport.isUnusableURL(HTTPClientError.emptyHost, url: "https:///token"))
        #expect(!AuthHTTPTransport.isUnusableURL(HTTPClientError.connectTimeout, url: "https://host/token"))
    }
}
