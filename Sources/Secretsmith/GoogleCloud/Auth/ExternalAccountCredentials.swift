import Foundation

/// Workload identity federation credentials (`"type": "external_account"`): a subject
/// token from the environment (a CI system's OIDC token, a Kubernetes service account
/// token, a SAML assertion) exchanged at Google's Security Token Service for an access
/// token, optionally followed by service account impersonation.
///
/// What `google-github-actions/auth` and `gcloud iam workload-identity-pools
/// create-cred-config` write (<https://cloud.google.com/iam/docs/workload-identity-federation>,
/// AIP-4117; the field set of google-auth-library-python's `external_account` and
/// `identity_pool` modules):
///
/// | field | meaning |
/// |---|---|
/// | `audience` | the pool provider, `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/PR` (or a workforce pool's `//iam.googleapis.com/locations/global/workforcePools/P/providers/PR`) |
/// | `subject_token_type` | e.g. `urn:ietf:params:oauth:token-type:jwt` |
/// | `token_url` | the STS token endpoint; default `https://sts.googleapis.com/v1/token` |
/// | `service_account_impersonation_url` | optional IAM Credentials `generateAccessToken` URL |
/// | `service_account_impersonation.token_lifetime_seconds` | optional, 600 to 43200; default 3600 |
/// | `client_id`, `client_secret` | optional OAuth client, sent to STS as HTTP Basic authentication |
/// | `quota_project_id` | optional project billed for quota (`x-goog-user-project`) |
/// | `workforce_pool_user_project` | optional, workforce pools only: sent as STS `options` `userProject` |
/// | `credential_source` | where the subject token comes from: ``SubjectTokenSourceConfiguration`` |
///
/// The client secret and the header values of a URL source never appear in a description.
package struct ExternalAccountCredentials: Sendable, CustomStringConvertible {
    /// Google's Security Token Service token endpoint.
    package static let googleTokenURL = "https://sts.googleapis.com/v1/token"
    /// The shortest and longest `token_lifetime_seconds` IAM accepts for the impersonated token.
    package static let tokenLifetimeRange = 600...43_200

    package var audience: String
    package var subjectTokenType: String
    /// Where the exchange is sent.
    package var tokenURL: String
    /// The `generateAccessToken` URL, when the federated token impersonates a service account.
    package var serviceAccountImpersonationURL: String?
    /// The email in ``serviceAccountImpersonationURL``.
    package var impersonatedServiceAccount: String?
    /// The requested lifetime of the impersonated token, seconds.
    package var tokenLifetimeSeconds: Int?
    package var clientID: String?
    package var clientSecret: String?
    package var quotaProjectID: String?
    package var workforcePoolUserProject: String?
    package var credentialSource: SubjectTokenSourceConfiguration

    /// Whether ``audience`` names a workforce pool (`//iam.googleapis.com/locations/L/workforcePools/…`).
    package var isWorkforcePool: Bool {
        Self.isWorkforcePoolAudience(audience)
    }

    static func isWorkforcePoolAudience(_ audience: String) -> Bool {
        guard audience.hasPrefix("//iam.googleapis.com/locations/") else { return false }
        let rest = audience.dropFirst("//iam.googleapis.com/locations/".count)
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else { return false }
        return rest[slash...].hasPrefix("/workforcePools/")
    }

    /// Reads the fields of an `external_account` file.
    ///
    /// - Throws: ``AuthenticationError`` (`.configuration`) naming the file and the key
    ///   (`credential_source.format.subject_token_field_name`) of a missing or mistyped
    ///   field, and refusing sources this build does not run (AWS, X.509 certificates).
    init(_ object: CredentialsJSONObject) throws {
        audience = try object.required("audience")
        subjectTokenType = try object.required("subject_token_type")
        let universe = try object.optional("universe_domain") ?? "googleapis.com"
        tokenURL = try object.optional("token_url") ?? "https://sts.\(universe)/v1/token"
        clientID = try object.optional("client_id")
        clientSecret = try object.optional("client_secret")
        quotaProjectID = try object.optional("quota_project_id")
        workforcePoolUserProject = try object.optional("workforce_pool_user_project")
        if workforcePoolUserProject != nil, !Self.isWorkforcePoolAudience(audience) {
            throw AuthenticationError(
                source: object.source,
                message: "\"workforce_pool_user_project\" is only allowed for a workforce pool audience "
                    + "(//iam.googleapis.com/locations/LOCATION/workforcePools/...)",
                kind: .configuration)
        }
        if let url = try object.optional("service_account_impersonation_url") {
            guard let target = GoogleCredentialsFile.target(ofImpersonationURL: url) else {
                throw AuthenticationError(
                    source: object.source,
                    message: "\"service_account_impersonation_url\" is not a .../serviceAccounts/EMAIL:generateAccessToken URL",
                    kind: .configuration)
            }
            serviceAccountImpersonationURL = url
            impersonatedServiceAccount = target
        }
        if let options = try object.optionalObject("service_account_impersonation"),
            let lifetime = try options.integer("token_lifetime_seconds")
        {
            guard Self.tokenLifetimeRange.contains(lifetime) else {
                throw AuthenticationError(
                    source: object.source,
                    message: "\"\(options.path("token_lifetime_seconds"))\" is \(lifetime); it must be between "
                        + "\(Self.tokenLifetimeRange.lowerBound) and \(Self.tokenLifetimeRange.upperBound)",
                    kind: .configuration)
            }
            tokenLifetimeSeconds = lifetime
        }
        guard let source = try object.optionalObject("credential_source") else {
            throw AuthenticationError(
                source: object.source, message: "the credentials have no \"credential_source\" object", kind: .configuration)
        }
        credentialSource = try SubjectTokenSourceConfiguration(source)
    }

    package var description: String {
        "ExternalAccountCredentials(audience: \(audience), token_url: \(tokenURL), "
            + "impersonates: \(impersonatedServiceAccount ?? "none"), source: \(credentialSource), "
            + "client_secret: \(clientSecret == nil ? "none" : "<redacted>"))"
    }
}

/// Where an `external_account` file's subject token comes from (`credential_source`).
package enum SubjectTokenSourceConfiguration: Sendable, CustomStringConvertible {
    /// How a file's or URL's content holds the token.
    package enum Format: Sendable, Equatable {
        /// The whole content, as it is (Google's libraries do not trim it).
        case text
        /// A JSON object; the token is the string in this field (e.g. `value` for GitHub's
        /// OIDC endpoint, `access_token` for Azure's instance metadata).
        case json(field: String)
    }

    /// `{"file": PATH, "format": …}`: a file the environment keeps current (a Kubernetes
    /// projected service account token, a token a CI step wrote).
    case file(path: String, format: Format)
    /// `{"url": URL, "headers": {…}, "format": …}`: a GET (GitHub Actions' OIDC endpoint,
    /// Azure's instance metadata).
    case url(String, headers: [String: String], format: Format)
    /// `{"executable": {"command", "timeout_millis", "output_file"}}`: a program that prints
    /// Google's executable-response JSON; run only when `GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1`.
    case executable(ExecutableSubjectTokenConfiguration)

    /// - Throws: ``AuthenticationError`` (`.configuration`) naming the key of a missing,
    ///   mistyped or conflicting field, or refusing an AWS or certificate source.
    init(_ object: CredentialsJSONObject) throws {
        func fail(_ message: String) -> AuthenticationError {
            AuthenticationError(source: object.source, message: message, kind: .configuration)
        }
        if object.has("environment_id") {
            let environment = (try? object.optional("environment_id")) ?? nil
            if let environment, environment.lowercased().hasPrefix("aws") {
                throw fail(
                    "AWS-sourced workload identity federation (\"credential_source.environment_id\": "
                        + "\"\(OAuthTokenResponse.sanitized(environment))\") is not supported; on AWS, "
                        + "use a service account key or an access token minted by gcloud (`type: access_token_env`)")
            }
            throw fail("\"credential_source.environment_id\" names an environment this build does not support (only AWS defines one)")
        }
        if object.has("certificate") {
            throw fail(
                "X.509 certificate-sourced workload identity federation (\"credential_source.certificate\") is not supported")
        }
        let kinds = ["file", "url", "executable"].filter { object.has($0) }
        guard kinds.count == 1, let kind = kinds.first else {
            throw fail(
                kinds.isEmpty
                    ? "\"credential_source\" names no subject token source: it needs one of \"file\", \"url\" or \"executable\""
                    : "\"credential_source\" names \(kinds.map { "\"\($0)\"" }.joined(separator: " and ")); only one is allowed")
        }
        switch kind {
        case "file":
            self = .file(path: try object.required("file"), format: try Self.format(object))
        case "url":
            let url = try object.required("url")
            self = .url(url, headers: try object.stringMap("headers"), format: try Self.format(object))
        default:
            guard let executable = try object.optionalObject("executable") else {
                throw fail("the credentials have no \"credential_source.executable\" object")
            }
            self = .executable(try ExecutableSubjectTokenConfiguration(executable))
        }
    }

    /// `format`: absent or `{"type": "text"}` is text; `{"type": "json",
    /// "subject_token_field_name": NAME}` is JSON.
    private static func format(_ object: CredentialsJSONObject) throws -> Format {
        guard let format = try object.optionalObject("format") else { return .text }
        switch try format.optional("type") ?? "text" {
        case "text":
            return .text
        case "json":
            return .json(field: try format.required("subject_token_field_name"))
        case let other:
            throw AuthenticationError(
                source: object.source,
                message: "\"\(format.path("type"))\" is \"\(OAuthTokenResponse.sanitized(other))\"; it must be \"text\" or \"json\"",
                kind: .configuration)
        }
    }

    /// The source in words for errors and logs: the file's path, the URL without its query,
    /// the executable's program. Never a header value.
    package var description: String {
        switch self {
        case .file(let path, _): "subject token file \(path)"
        case .url(let url, _, _): "subject token URL \(Self.withoutQuery(url))"
        case .executable(let executable): "subject token executable \(executable.program)"
        }
    }

    /// `url` without its query and fragment (they may carry request parameters nobody needs to read).
    static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }
}

/// `credential_source.executable`: a program that prints a subject token (Google's
/// "executable-sourced credentials",
/// <https://cloud.google.com/iam/docs/workload-identity-federation-with-other-providers#executable-sourced-credentials>).
package struct ExecutableSubjectTokenConfiguration: Sendable, Equatable {
    /// The environment variable that must be `1` before any executable is run.
    package static let allowVariable = "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"
    /// Google's default, smallest and largest `timeout_millis`.
    package static let defaultTimeoutMillis = 30_000
    package static let timeoutMillisRange = 5_000...120_000

    /// The command line, split like a POSIX shell's words (no expansion).
    package var command: String
    /// How long the program may run, milliseconds.
    package var timeoutMillis: Int
    /// Where the program caches its response; read first while its token is unexpired.
    package var outputFile: String?

    /// The first word of ``command``, for messages.
    package var program: String {
        ((try? ShellWords.split(command))?.first) ?? command
    }

    /// - Throws: ``AuthenticationError`` (`.configuration`) naming the key of a missing
    ///   command or a timeout outside 5 to 120 seconds.
    init(_ object: CredentialsJSONObject) throws {
        command = try object.required("command")
        do {
            guard try !ShellWords.split(command).isEmpty else { throw ShellWords.SyntaxError(message: "it is empty") }
        } catch let error as ShellWords.SyntaxError {
            throw AuthenticationError(
                source: object.source, message: "\"\(object.path("command"))\" cannot be split into words: \(error.message)",
                kind: .configuration)
        }
        let timeout = try object.integer("timeout_millis") ?? Self.defaultTimeoutMillis
        guard Self.timeoutMillisRange.contains(timeout) else {
            throw AuthenticationError(
                source: object.source,
                message: "\"\(object.path("timeout_millis"))\" is \(timeout); it must be between "
                    + "\(Self.timeoutMillisRange.lowerBound) and \(Self.timeoutMillisRange.upperBound) (5 to 120 seconds)",
                kind: .configuration)
        }
        timeoutMillis = timeout
        outputFile = try object.optional("output_file")
    }

    package init(command: String, timeoutMillis: Int = defaultTimeoutMillis, outputFile: String? = nil) {
        self.command = command
        self.timeoutMillis = timeoutMillis
        self.outputFile = outputFile
    }
}

/// Splits a command line into words as a POSIX shell does, without any expansion: blanks
/// separate words, `'…'` is literal, `"…"` keeps `\"`, `\\`, `\$` and `` \` `` escapes, and a
/// backslash outside quotes escapes the next character (Python's `shlex.split`, which
/// Google's libraries use for `credential_source.executable.command`).
package enum ShellWords {
    package struct SyntaxError: Error, Equatable {
        package var message: String
    }

    /// - Throws: ``SyntaxError`` for an unterminated quote or a trailing backslash.
    package static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = Array(line).makeIterator()
        while let character = iterator.next() {
            switch character {
            case " ", "\t", "\n", "\r":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "'" {
                        closed = true
                        break
                    }
                    current.append(next)
                }
                guard closed else { throw SyntaxError(message: "a single quote is not closed") }
            case "\"":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { break }
                        if ["\"", "\\", "$", "`"].contains(escaped) {
                            current.append(escaped)
                        } else if escaped != "\n" {
                            current.append("\\")
                            current.append(escaped)
                        }
                        continue
                    }
                    current.append(next)
                }
                guard closed else { throw SyntaxError(message: "a double quote is not closed") }
            case "\\":
                guard let escaped = iterator.next() else { throw SyntaxError(message: "it ends with a backslash") }
                inWord = true
                if escaped != "\n" { current.append(escaped) }
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
