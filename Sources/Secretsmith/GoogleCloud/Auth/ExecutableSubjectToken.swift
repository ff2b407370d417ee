import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A subject token from an executable (`credential_source.executable`), as Google defines
/// executable-sourced credentials
/// (<https://cloud.google.com/iam/docs/workload-identity-federation-with-other-providers#executable-sourced-credentials>;
/// google-auth-library-python `pluggable`).
///
/// - When `output_file` holds a successful response with an `expiration_time` still in
///   the future, its token is used without running anything.
/// - Otherwise the command (split into words like a shell, no expansion; the program is
///   looked up in `PATH` when it has no slash) runs with the process environment plus
///   `GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE`, `GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE`,
///   `GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE=0`, `GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL`
///   (with impersonation) and `GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE` (with `output_file`),
///   and is killed after `timeout_millis`. Its standard output (or, when that is empty,
///   `output_file`) is the response; its standard error is discarded, never shown.
/// - The response: `{"version": 1, "success": true, "token_type": …, "id_token" | "saml_response": …,
///   "expiration_time": UNIX seconds}` or `{"version": 1, "success": false, "code": …, "message": …}`.
///   `token_type` `urn:ietf:params:oauth:token-type:jwt` and `…:id_token` carry `id_token`,
///   `urn:ietf:params:oauth:token-type:saml2` carries `saml_response`.
package struct ExecutableSubjectToken: Sendable {
    /// The newest response version understood.
    package static let supportedVersion = 1
    /// The most standard output read, in bytes.
    static let maxOutputBytes = 1 << 20

    let configuration: ExecutableSubjectTokenConfiguration
    let credentials: ExternalAccountCredentials
    let source: String
    let environment: [String: String]
    var now: @Sendable () -> Date = Date.init

    init(
        configuration: ExecutableSubjectTokenConfiguration, credentials: ExternalAccountCredentials, source: String,
        environment: [String: String]
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.source = source
        self.environment = environment
    }

    /// The variables added to the program's environment.
    package var addedEnvironment: [String: String] {
        var added = [
            "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": credentials.audience,
            "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": credentials.subjectTokenType,
            "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE": "0",
        ]
        if let email = credentials.impersonatedServiceAccount {
            added["GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL"] = email
        }
        if let file = configuration.outputFile {
            added["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"] = file
        }
        return added
    }

    /// - Throws: ``AuthenticationError``: `.permission` when the program fails, reports
    ///   failure, or answers an expired or missing token; `.unavailable` when it does not
    ///   finish in time; `.configuration` when the command cannot be started or its
    ///   response is malformed.
    package func subjectToken() async throws -> String {
        if let cached = try cachedToken() { return cached }
        let output = try await run()
        var response = output
        if response.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }), let file = configuration.outputFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw failure("printed nothing and wrote no output file \(file)", kind: .permission)
            }
            response = Array(data)
        }
        return try parse(response, requireExpiration: false)
    }

    /// The token of `output_file` when it holds an unexpired successful response with an
    /// `expiration_time`; `nil` when there is none to use (absent, unreadable, failed,
    /// expired), so the program runs.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) when the file holds a malformed response.
    func cachedToken() throws -> String? {
        guard let file = configuration.outputFile, let data = FileManager.default.contents(atPath: file),
            (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
        else { return nil }
        do {
            return try parse(Array(data), requireExpiration: true)
        } catch let error as AuthenticationError where error.kind != .configuration {
            return nil
        }
    }

    /// Reads a response.
    ///
    /// - Parameter requireExpiration: whether a success without `expiration_time` counts
    ///   as expired (true for `output_file`, whose token must say how long it lives).
    /// - Throws: ``AuthenticationError``: `.configuration` for a malformed response (not JSON,
    ///   no `version`, `success` or `token_type`, an unsupported version or token type),
    ///   `.permission` for a failure the program reports, an expired or missing token.
    func parse(_ bytes: [UInt8], requireExpiration: Bool) throws -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw failure("answered something that is not a JSON object", kind: .configuration)
        }
        guard let version = (object["version"] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }) else {
            throw failure("answered a response without a numeric \"version\"", kind: .configuration)
        }
        guard version <= Self.supportedVersion else {
            throw failure("answered response version \(version); this build reads version \(Self.supportedVersion)", kind: .configuration)
        }
        guard let success = object["success"] as? Bool else {
            throw failure("answered a response without a boolean \"success\"", kind: .configuration)
        }
        guard success else {
            guard let code = object["code"].map({ "\($0)" }), let message = object["message"] as? String else {
                throw failure("reported failure without \"code\" and \"message\"", kind: .configuration)
            }
            throw failure(
                "reported failure: code \(OAuthTokenResponse.sanitized(code)): \(OAuthTokenResponse.sanitized(message))",
                kind: .permission)
        }
        let expiration = (object["expiration_time"] as? NSNumber)?.doubleValue
        if let expiration, expiration < now().timeIntervalSince1970 {
            throw failure("answered a token that expired at \(RFC3339.string(from: Date(timeIntervalSince1970: expiration)))", kind: .permission)
        }
        if requireExpiration, expiration == nil {
            throw failure("answered a token without \"expiration_time\"", kind: .permission)
        }
        guard let tokenType = object["token_type"] as? String else {
            throw failure("answered a response without \"token_type\"", kind: .configuration)
        }
        let field: String
        switch tokenType {
        case "urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token":
            field = "id_token"
        case "urn:ietf:params:oauth:token-type:saml2":
            field = "saml_response"
        default:
            throw failure("answered token type \"\(OAuthTokenResponse.sanitized(tokenType))\", which is not supported", kind: .configuration)
        }
        guard let token = object[field] as? String, !token.isEmpty else {
            throw failure("answered token type \(tokenType) without a non-empty \"\(field)\"", kind: .permission)
        }
        return token
    }

    private func failure(_ what: String, kind: FailureKind) -> AuthenticationError {
        AuthenticationError(
            source: source, message: "the subject token executable \(configuration.program) \(what)", kind: kind)
    }

    /// Runs the command and returns its standard output.
    private func run() async throws -> [UInt8] {
        let words: [String]
        do {
            words = try ShellWords.split(configuration.command)
        } catch {
            throw failure("cannot be split into words", kind: .configuration)
        }
        guard let program = words.first, let executable = Self.locate(program, path: environment["PATH"]) else {
            throw failure("is not an executable file (looked up in PATH)", kind: .configuration)
        }
        let arguments = Array(words.dropFirst())
        let processEnvironment = environment.merging(addedEnvironment) { $1 }
        let timeout = configuration.timeoutMillis
        let outcome: (output: [UInt8], status: Int32, timedOut: Bool)
        do {
            outcome = try await withCheckedThrowingContinuation { continuation in
                // Blocking reads and waits run on a Dispatch thread, never on the
                // cooperative pool.
                DispatchQueue.global().async {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                    process.environment = processEnvironment
                    let stdout = Pipe()
                    process.standardOutput = stdout
                    process.standardError = FileHandle.nullDevice
                    process.standardInput = FileHandle.nullDevice
                    do {
                        try process.run()
                    } catch {
                        continuation.resume(throwing: error)
                        return
                    }
                    let pid = process.processIdentifier
                    let timedOut = ManagedFlag()
                    let timer = DispatchWorkItem {
                        timedOut.set()
                        kill(pid, SIGKILL)
                    }
                    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(timeout), execute: timer)
                    var output: [UInt8] = []
                    let handle = stdout.fileHandleForReading
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        if output.count < Self.maxOutputBytes { output += chunk.prefix(Self.maxOutputBytes - output.count) }
                    }
                    process.waitUntilExit()
                    timer.cancel()
                    continuation.resume(returning: (output, process.terminationStatus, timedOut.isSet))
                }
            }
        } catch {
            throw failure("could not be started", kind: .configuration)
        }
        if outcome.timedOut {
            throw failure("did not finish within timeout_millis \(timeout) ms and was stopped", kind: .unavailable)
        }
        guard outcome.status == 0 else {
            throw failure("exited with status \(outcome.status)", kind: .permission)
        }
        return outcome.output
    }

    /// `program` itself when it contains a slash, else the first executable file of that
    /// name in `path` (colon-separated).
    static func locate(_ program: String, path: String?) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = (String(directory) as NSString).appendingPathComponent(program)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A flag set from one thread and read from another.
private final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
