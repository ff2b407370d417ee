import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends the requests of the authentication flows (token endpoints, the metadata server,
/// IAM Credentials) over the shared `HTTPClient`, retrying transient answers.
///
/// Retried: HTTP 408, 429, 500, 503 and 504, the statuses Google's auth libraries retry
/// on token endpoints (google-auth-library-python `transport.DEFAULT_RETRYABLE_STATUS_CODES`),
/// and transport failures when asked. Backoff is exponential with full jitter, a
/// `Retry-After` header is a floor. TLS verification is AsyncHTTPClient's default (on)
/// for every https URL.
package struct AuthHTTPTransport: Sendable {
    /// One answer, its body collected.
    package struct Answer: Sendable {
        package var status: Int
        package var headers: HTTPHeaders
        package var body: [UInt8]
    }

    /// The default retry schedule of token endpoints: 4 attempts, backoff from 250 ms,
    /// ×2, at most 2 s (at most about 3.5 s of waiting in all).
    package static let defaultRetry = RetryPolicy(
        maxAttempts: 4, initialBackoff: .milliseconds(250), maxBackoff: .seconds(2), multiplier: 2)

    /// The statuses retried.
    package static let retryableStatuses: Set<Int> = [408, 429, 500, 503, 504]

    /// The largest answer body accepted, in bytes (token answers are under 4 KiB).
    package static let maxBodyBytes = 64 * 1024

    package let httpClient: HTTPClient
    package let logger: Logger
    package let clock: SecretManagerClock
    package var retry: RetryPolicy
    /// The deadline of each attempt, connection included.
    package var timeout: Duration

    package init(
        httpClient: HTTPClient, logger: Logger, clock: SecretManagerClock,
        retry: RetryPolicy = AuthHTTPTransport.defaultRetry, timeout: Duration = .seconds(10)
    ) {
        self.httpClient = httpClient
        self.logger = logger
        self.clock = clock
        self.retry = retry
        self.timeout = timeout
    }

    /// Sends `request`, retrying transient answers and (when `retryTransportFailures`)
    /// failed connections.
    ///
    /// - Parameters:
    ///   - request: the request; its body must be `.bytes` so it can be sent again.
    ///   - source: the credential source, for errors.
    ///   - endpoint: a description of the endpoint for errors, e.g. `token endpoint https://oauth2.googleapis.com/token`.
    ///   - retryTransportFailures: whether a connection that fails or times out is tried
    ///     again (true for token endpoints on the internet, false when probing a server
    ///     that may simply not exist).
    /// - Returns: the first answer that is not retried (any status, including errors).
    /// - Throws: ``AuthenticationError`` (`.unavailable`) when every attempt failed or was
    ///   answered with a retried status.
    package func send(
        _ request: HTTPClientRequest, source: String, endpoint: String, retryTransportFailures: Bool = true
    ) async throws -> Answer {
        var attempts = 0
        do {
            return try await RetryRunner(policy: retry, clock: clock).run { number in
                attempts = number
                let answer = try await self.attempt(request, timeout: timeout)
                guard !Self.retryableStatuses.contains(answer.status) else { throw RetryableAnswer(answer: answer) }
                return answer
            } decide: { error, _ in
                if let retryable = error as? RetryableAnswer {
                    return .retry(
                        floor: retryable.answer.headers.first(name: "Retry-After")
                            .flatMap(GoogleErrorResponse.parseRetryAfter))
                }
                return retryTransportFailures && !Self.isUnusableURL(error, url: request.url) ? .retry() : .stop
            } willRetry: { error, attempt, _ in
                var metadata: Logger.Metadata = ["auth.source": "\(source)", "attempt": "\(attempt)"]
                if let retryable = error as? RetryableAnswer {
                    metadata["http.status"] = "\(retryable.answer.status)"
                } else {
                    metadata["error"] = "\(Self.describe(error))"
                }
                logger.debug("retrying an authentication request", metadata: metadata)
            }
        } catch let retryable as RetryableAnswer {
            throw AuthenticationError(
                source: source,
                message: "the \(endpoint) answered HTTP \(retryable.answer.status) \(attempts) times; try again later",
                kind: .unavailable)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Self.isUnusableURL(error, url: request.url) {
                throw AuthenticationError(
                    source: source, message: "the \(endpoint) is not a usable http or https URL", kind: .configuration)
            }
            throw AuthenticationError(
                source: source,
                message: "the \(endpoint) could not be reached"
                    + (attempts > 1 ? " after \(attempts) attempts" : "") + ": \(Self.describe(error))",
                kind: .unavailable)
        }
    }

    /// An answer with a retried status, carried through the retry runner as an error.
    private struct RetryableAnswer: Error {
        var answer: Answer
    }

    /// Sends `request` once, without retries.
    ///
    /// - Parameter timeout: the deadline, connection included.
    /// - Throws: the transport's error (`HTTPClientError`, a connection error, …).
    package func attempt(_ request: HTTPClientRequest, timeout: Duration) async throws -> Answer {
        let response = try await httpClient.execute(request, timeout: TimeAmount(timeout), logger: clientLogger)
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }

    /// Whether the request to `url` failed because the URL cannot be used at all (no retry
    /// helps). AsyncHTTPClient names an unknown scheme as the URL spells it.
    static func isUnusableURL(_ error: any Error, url: String) -> Bool {
        guard let error = error as? HTTPClientError else { return false }
        return error == .invalidURL || error == .emptyHost || error == .emptyScheme
            || URL(string: url)?.scheme.map { error == .unsupportedScheme($0) } == true
    }

    /// The logger handed to AsyncHTTPClient: never below `debug`, because at `trace` it
    /// logs response parts, whose bytes would include the start of an access token.
    private var clientLogger: Logger {
        var clamped = logger
        if clamped.logLevel < .debug { clamped.logLevel = .debug }
        return clamped
    }

    /// A transport failure in words, without anything a server sent.
    package static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return "no answer within the timeout"
            default:
                return "\(error)"
            }
        }
        if error is NIOTooManyBytesError { return "the answer is larger than \(maxBodyBytes) bytes" }
        return TransportFailure.describe(error)
    }

    /// A POST of an `application/x-www-form-urlencoded` body.
    ///
    /// - Parameter fields: name and value pairs, encoded per the WHATWG URL standard's
    ///   form encoding (every byte but `A-Z a-z 0-9 * - . _` percent-encoded, space as `%20`).
    package static func formRequest(url: String, fields: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "secretsmith/\(SecretsmithVersion.current)")
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    /// Percent-encodes a form value.
    package static func formEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "*"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }
}
