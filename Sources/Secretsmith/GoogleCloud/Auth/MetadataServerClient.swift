import AsyncHTTPClient
import Foundation
import Synchronization

/// The instance metadata server of Compute Engine, GKE, Cloud Run and Cloud Functions:
/// the default service account's tokens and the project id
/// (<https://cloud.google.com/compute/docs/metadata/querying-metadata>).
///
/// - Host: `GCE_METADATA_HOST` (`host[:port]`, the variable Google's libraries read), else
///   `metadata.google.internal`; always plain HTTP, the server is link-local.
/// - Every request carries `Metadata-Flavor: Google`, and an answer is only believed when
///   it carries the same header (anything else could be a captive portal or a proxy).
/// - Absent server: before the first request, a probe of `http://HOST/` with a 1 s deadline
///   (`GCE_METADATA_TIMEOUT` seconds when set, the variable google-auth-library-python
///   reads; its default is 3 s) and no retry tells "there is no metadata server here" (a
///   laptop) from a present one, so the failure comes in about a second, not after a long
///   connect timeout.
/// - Transient answers (429, 5xx) are retried with backoff, as the server does send them.
package struct MetadataServerClient: AccessTokenSource {
    /// The default host.
    package static let defaultHost = "metadata.google.internal"
    /// The path of the default service account's token.
    package static let tokenPath = "/computeMetadata/v1/instance/service-accounts/default/token"
    /// The path of the project id.
    package static let projectIDPath = "/computeMetadata/v1/project/project-id"
    /// The default deadline of the presence probe.
    package static let defaultProbeTimeout: Duration = .seconds(1)

    /// `HOST[:PORT]`.
    package let host: String
    /// The deadline of the presence probe: `GCE_METADATA_TIMEOUT` seconds, else 1 s.
    package let probeTimeout: Duration
    package let source: String
    package var tokenEndpoint: String? { "http://\(host)\(Self.tokenPath)" }
    let transport: AuthHTTPTransport
    /// What Application Default Credentials tried before the metadata server, to list in
    /// the error when the server is absent too; empty when the metadata server was chosen
    /// directly (`type: metadata`).
    let triedBefore: [String]
    /// Whether a probe has found the server; later requests skip the probe. Shared by
    /// copies of this value (a class reference).
    private let probed = ProbeResult()

    private final class ProbeResult: Sendable {
        private let found = Mutex(false)
        var isFound: Bool { found.withLock { $0 } }
        func markFound() { found.withLock { $0 = true } }
    }

    /// - Parameters:
    ///   - environment: the process environment (`GCE_METADATA_HOST`, `GCE_METADATA_TIMEOUT`).
    ///   - transport: the HTTP transport; its per-attempt timeout serves the token requests.
    ///   - triedBefore: the ADC steps that found nothing, for the error message.
    package init(environment: [String: String], transport: AuthHTTPTransport, triedBefore: [String] = []) {
        var host = environment["GCE_METADATA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultHost
        if host.hasPrefix("http://") { host.removeFirst(7) }
        while host.hasSuffix("/") { host.removeLast() }
        self.host = host
        if let text = environment["GCE_METADATA_TIMEOUT"], let seconds = Double(text), seconds > 0, seconds <= 300 {
            probeTimeout = .secondsDouble(seconds)
        } else {
            probeTimeout = Self.defaultProbeTimeout
        }
        self.source = triedBefore.isEmpty ? "metadata server at \(host)" : "Application Default Credentials"
        self.transport = transport
        self.triedBefore = triedBefore
    }

    /// A token for the instance's default service account.
    ///
    /// - Throws: ``AuthenticationError``: `.permission` when no metadata server answers (the
    ///   message lists what Application Default Credentials tried) or it refuses,
    ///   `.unavailable` when it keeps failing.
    package func fetchToken() async throws -> FetchedAccessToken {
        try await probe()
        let answer = try await get(Self.tokenPath)
        return try OAuthTokenResponse.token(from: answer, source: source, endpoint: "metadata server at \(host)")
    }

    /// The project id of the instance (`/computeMetadata/v1/project/project-id`).
    ///
    /// - Throws: ``AuthenticationError`` as ``fetchToken()``.
    package func projectID() async throws -> String {
        try await probe()
        let answer = try await get(Self.projectIDPath)
        guard answer.status == 200 else {
            throw OAuthTokenResponse.refusal(answer, source: source, endpoint: "metadata server at \(host)")
        }
        let text = String(decoding: answer.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            throw AuthenticationError(
                source: source, message: "the metadata server at \(host) answered an empty project id", kind: .unavailable)
        }
        return text
    }

    /// Checks that a metadata server answers at all, quickly.
    ///
    /// - Throws: ``AuthenticationError`` (`.permission`) when nothing answers within
    ///   ``probeTimeout``, or something answers without `Metadata-Flavor: Google`.
    package func probe() async throws {
        if probed.isFound { return }
        let answer: AuthHTTPTransport.Answer
        do {
            answer = try await transport.attempt(request("/"), timeout: probeTimeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if SecretManagerClient.isConnectionRefused(error) {
                throw absent(
                    "nothing is listening at \(hostAndPort), where the metadata server would answer (connection refused)")
            }
            throw absent("the metadata server at \(host) did not answer (\(AuthHTTPTransport.describe(error)))")
        }
        // Any status will do (a transient one is retried by the real request); the header
        // is what tells a metadata server from anything else.
        guard answer.headers.first(name: "Metadata-Flavor") == "Google" else {
            throw absent("something at \(host) answered without the Metadata-Flavor: Google header, so it is not a metadata server")
        }
        probed.markFound()
    }

    private func get(_ path: String) async throws -> AuthHTTPTransport.Answer {
        let answer = try await transport.send(
            request(path), source: source, endpoint: "metadata server at \(host)", retryTransportFailures: true)
        guard answer.headers.first(name: "Metadata-Flavor") == "Google" else {
            throw AuthenticationError(
                source: source,
                message: "the answer from \(host) lacks the Metadata-Flavor: Google header, so it is not a metadata server",
                kind: .permission)
        }
        return answer
    }

    private func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://\(host)\(path)")
        request.headers.add(name: "Metadata-Flavor", value: "Google")
        request.headers.add(name: "User-Agent", value: "secretsmith/\(SecretsmithVersion.current)")
        return request
    }

    /// `HOST:PORT`, with HTTP's port 80 when `host` names none.
    var hostAndPort: String {
        guard let colon = host.lastIndex(of: ":"), !host[host.index(after: colon)...].isEmpty,
            host[host.index(after: colon)...].allSatisfy(\.isNumber)
        else { return "\(host):80" }
        return host
    }

    /// No metadata server here. `step` is a clause naming the host; after the steps of
    /// Application Default Credentials it ends a list of sentences (``CredentialSearch``).
    private func absent(_ step: String) -> AuthenticationError {
        if triedBefore.isEmpty {
            return AuthenticationError(source: source, message: step, kind: .permission)
        }
        return AuthenticationError(
            source: source,
            message: "no credentials found. " + CredentialSearch.sentences(triedBefore + [step])
                + " Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a key file, "
                + "or choose another credentials type",
            kind: .permission)
    }
}
