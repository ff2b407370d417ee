import AsyncHTTPClient
import Foundation
import NIOCore

/// Obtains the subject token of an `external_account` file from its `credential_source`,
/// as Google's libraries do (google-auth-library-python `identity_pool` and `pluggable`):
///
/// - a file is read anew for every exchange; its whole text, or the string field of its JSON;
/// - a URL is fetched with `GET` and the configured headers; the body as text or JSON;
/// - an executable runs only when `GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1`; see
///   ``ExecutableSubjectToken``.
///
/// Errors name the credentials file and the source (path, URL without query, program), and
/// never a token, a header value or what a source printed.
package struct SubjectTokenRetriever: Sendable {
    let configuration: SubjectTokenSourceConfiguration
    let credentials: ExternalAccountCredentials
    /// The credentials' name in errors.
    let source: String
    let environment: [String: String]
    let transport: AuthHTTPTransport

    /// The subject token.
    ///
    /// - Throws: ``AuthenticationError``: `.permission` when the token is missing, empty,
    ///   or its file or URL refuses it (HTTP 4xx); `.unavailable` when a URL fails (5xx,
    ///   unreachable) or an executable times out; `.configuration` when executables are
    ///   not allowed.
    package func subjectToken() async throws -> String {
        switch configuration {
        case .file(let path, let format):
            guard let data = FileManager.default.contents(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw AuthenticationError(
                    source: source,
                    message: "the subject token file \(path) (credential_source.file) "
                        + (exists ? "cannot be read" : "does not exist"),
                    kind: .permission)
            }
            return try Self.token(in: Array(data), format: format, location: "subject token file \(path)", source: source)
        case .url(let url, let headers, let format):
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            request.headers.add(name: "User-Agent", value: "secretsmith/\(SecretsmithVersion.current)")
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request.headers.add(name: name, value: value) }
            let location = configuration.description
            let answer = try await transport.send(request, source: source, endpoint: location)
            guard (200..<300).contains(answer.status) else {
                let refused = (400..<500).contains(answer.status)
                throw AuthenticationError(
                    source: source,
                    message: "the \(location) (credential_source.url) answered HTTP \(answer.status)"
                        + (refused ? "; check its headers and that the token request is allowed" : ""),
                    kind: refused ? .permission : .unavailable)
            }
            return try Self.token(in: answer.body, format: format, location: location, source: source)
        case .executable(let executable):
            guard environment[ExecutableSubjectTokenConfiguration.allowVariable] == "1" else {
                throw AuthenticationError(
                    source: source,
                    message: "the credentials run the executable \(executable.program) (credential_source.executable) for "
                        + "their subject token, and executables run only when "
                        + "\(ExecutableSubjectTokenConfiguration.allowVariable)=1 is set; set it if you trust this file",
                    kind: .configuration)
            }
            return try await ExecutableSubjectToken(
                configuration: executable, credentials: credentials, source: source, environment: environment
            ).subjectToken()
        }
    }

    /// The token in a file's or a URL's content.
    ///
    /// - Throws: ``AuthenticationError`` (`.permission`) when the content is empty, not JSON,
    ///   or has no non-empty string field of the name `format` gives.
    static func token(
        in bytes: [UInt8], format: SubjectTokenSourceConfiguration.Format, location: String, source: String
    ) throws -> String {
        switch format {
        case .text:
            let text = String(decoding: bytes, as: UTF8.self)
            guard !text.isEmpty else {
                throw AuthenticationError(source: source, message: "the \(location) is empty", kind: .permission)
            }
            return text
        case .json(let field):
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            guard let object else {
                throw AuthenticationError(
                    source: source,
                    message: "the \(location) is not a JSON object (credential_source.format.type is \"json\")",
                    kind: .permission)
            }
            guard let token = object[field] as? String, !token.isEmpty else {
                throw AuthenticationError(
                    source: source,
                    message: "the \(location) has no non-empty string field \"\(field)\" "
                        + "(credential_source.format.subject_token_field_name)",
                    kind: .permission)
            }
            return token
        }
    }
}
