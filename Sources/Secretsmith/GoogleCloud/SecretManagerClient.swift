import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Secret Manager REST v1 client for the calls secretsmith makes: access a secret
/// version and get a version's metadata.
///
/// Wire format: <https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access>.
/// Requests go through one shared `HTTPClient`, whose connection pool is the pool of the
/// design. Each call makes exactly one HTTP request; retries and the circuit breaker
/// live in the manager.
package struct SecretManagerClient: Sendable {
    /// The largest response body accepted, in bytes. A payload is at most 64 KiB, which is
    /// about 88 KiB in base64 plus the JSON around it.
    package static let maxResponseBytes = 1 << 20

    package let httpClient: HTTPClient
    package let endpoint: SecretManagerEndpoint
    package let tokenProvider: (any AccessTokenProvider)?
    /// Sent as `x-goog-user-project` when set: the project billed for quota.
    package let quotaProject: String?
    package let logger: Logger
    /// The HTTP/2 connections calls to an HTTPS endpoint are spread over
    /// (``HTTP2ConnectionSpread``), shared by every client of the same `httpClient` and
    /// endpoint; `nil` over plain HTTP, where each call in flight has a connection anyway,
    /// and when `httpClient` has a tracer (see `call`).
    package let spread: HTTP2ConnectionSpread?

    package init(
        httpClient: HTTPClient,
        endpoint: SecretManagerEndpoint,
        tokenProvider: (any AccessTokenProvider)?,
        quotaProject: String? = nil,
        spread: HTTP2ConnectionSpread? = nil,
        logger: Logger
    ) {
        self.httpClient = httpClient
        self.endpoint = endpoint
        self.tokenProvider = tokenProvider
        self.quotaProject = quotaProject
        self.spread = spread
        self.logger = logger
    }

    /// Accesses a secret version's payload and verifies its CRC32C.
    ///
    /// - Parameters:
    ///   - name: the version's resource name,
    ///     `projects/P[/locations/L]/secrets/S/versions/V` (V a number, `latest` or an alias).
    ///   - timeout: the time allowed for the whole request, response body included.
    /// - Returns: the payload and the version number parsed from the response `name`
    ///   (which carries the project number, not the id that was sent).
    /// - Throws: ``SecretManagerError`` for an error answer, a transport failure, a
    ///   timeout, a malformed answer or a checksum mismatch; ``AuthenticationError`` when no
    ///   access token can be obtained.
    package func accessSecretVersion(name: String, timeout: Duration) async throws -> SecretValue {
        let body = try await call(method: .GET, path: "\(name):access", resource: name, timeout: timeout)
        return try Self.decodeAccessResponse(body, name: name)
    }

    /// Gets a secret version's metadata (state, create time, etag) without its payload;
    /// needs only `secretmanager.versions.get`.
    ///
    /// - Throws: as ``accessSecretVersion(name:timeout:)``.
    package func getSecretVersion(name: String, timeout: Duration) async throws -> SecretVersionMetadata {
        let body = try await call(method: .GET, path: name, resource: name, timeout: timeout)
        do {
            return try JSONDecoder().decode(SecretVersionMetadata.self, from: Data(body))
        } catch {
            throw SecretManagerError(
                code: .invalidResponse, resource: name, httpStatus: 200,
                message: "the version metadata is not the JSON Secret Manager sends")
        }
    }

    /// Sends one request. With a ``spread`` (HTTPS, no tracer) through AsyncHTTPClient's
    /// `HTTPClient.Request` API, which can bind a request to an event loop and with it to
    /// that loop's HTTP/2 connection (``HTTP2ConnectionSpread``); otherwise through the
    /// `HTTPClientRequest` API, which cannot, but which makes the request's span a child of
    /// the caller's and sends its `traceparent` (the other API does neither).
    private func call(method: HTTPMethod, path: String, resource: String, timeout: Duration) async throws
        -> [UInt8]
    {
        let url = "\(endpoint.baseURL)/v1/\(path)"
        var headers = HTTPHeaders()
        let token = try await GoogleRESTRequest.addHeaders(
            to: &headers, requiresCredentials: endpoint.requiresCredentials, tokenProvider: tokenProvider,
            quotaProject: quotaProject)
        // AsyncHTTPClient logs response body bytes at trace level: an access response is a
        // base64 payload, so its logger never goes below debug.
        let requestLogger = GoogleRESTRequest.requestLogger(logger)
        let status: HTTPResponseStatus
        let responseHeaders: HTTPHeaders
        let bytes: [UInt8]
        do {
            if let spread {
                (status, responseHeaders, bytes) = try await send(
                    url: url, method: method, headers: headers, spread: spread, timeout: timeout, logger: requestLogger)
            } else {
                var request = HTTPClientRequest(url: url)
                request.method = method
                request.headers = headers
                let response = try await httpClient.execute(request, timeout: TimeAmount(timeout), logger: requestLogger)
                let body = try await response.body.collect(upTo: Self.maxResponseBytes)
                (status, responseHeaders, bytes) = (response.status, response.headers, Array(body.readableBytesView))
            }
        } catch is NIOTooManyBytesError {
            throw SecretManagerError(
                code: .invalidResponse, resource: resource,
                message: "the response body is larger than \(Self.maxResponseBytes) bytes")
        } catch is ResponseAccumulator.ResponseTooBigError {
            throw SecretManagerError(
                code: .invalidResponse, resource: resource,
                message: "the response body is larger than \(Self.maxResponseBytes) bytes")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // AsyncHTTPClient reports a request cancelled with its task as its own error.
            if Task.isCancelled { throw CancellationError() }
            throw Self.transportError(error, resource: resource, endpoint: endpoint, timeout: timeout)
        }
        guard (200..<300).contains(Int(status.code)) else {
            var error = GoogleErrorResponse.error(
                status: Int(status.code), headers: responseHeaders, body: bytes, resource: resource)
            if status == .unauthorized, let token, let tokenProvider {
                await tokenProvider.invalidate(token)
                // Which credentials were refused (a self-signed JWT is refused here, not at a
                // token endpoint that would name them).
                error.message += " (credentials: \(tokenProvider.source))"
            }
            throw error
        }
        return bytes
    }

    /// One request on a lane of `spread`: bound to the lane's event loop, and so to its
    /// HTTP/2 connection.
    private func send(
        url: String, method: HTTPMethod, headers: HTTPHeaders, spread: HTTP2ConnectionSpread, timeout: Duration,
        logger: Logger
    ) async throws -> (HTTPResponseStatus, HTTPHeaders, [UInt8]) {
        let lane = spread.acquire()
        defer { if let lane { spread.release(lane.lane) } }
        let request = try HTTPClient.Request(url: url, method: method, headers: headers)
        let task = httpClient.execute(
            request: request,
            delegate: ResponseAccumulator(request: request, maxBodySize: Self.maxResponseBytes),
            eventLoop: lane.map { .delegateAndChannel(on: $0.eventLoop) } ?? .indifferent,
            deadline: .now() + TimeAmount(timeout), logger: logger)
        let response = try await withTaskCancellationHandler {
            try await task.futureResult.get()
        } onCancel: {
            task.cancel()
        }
        return (response.status, response.headers, response.body.map { Array($0.readableBytesView) } ?? [])
    }

    static func transportError(
        _ error: any Error, resource: String, endpoint: SecretManagerEndpoint, timeout: Duration
    ) -> SecretManagerError {
        if isConnectionRefused(error) {
            let address = endpoint.hostAndPort
            let hint =
                endpoint.requiresCredentials
                ? "is the `endpoint:` setting right?"
                : "is the emulator running, and is SECRET_MANAGER_EMULATOR_HOST (\(address)) right?"
            return SecretManagerError(
                code: .transport, resource: resource,
                message: "nothing is listening at \(address) (connection refused); \(hint)")
        }
        if let tls = tlsFailure(error, endpoint: endpoint) {
            var failure = SecretManagerError(
                code: .transport, resource: resource, message: tls.message, underlyingError: error)
            failure.isTransient = !tls.certificateRejected
            return failure
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return SecretManagerError(
                    code: .deadlineExceeded, resource: resource,
                    message: "no answer from \(endpoint) within the timeout of \(timeout)")
            default:
                break
            }
        }
        return SecretManagerError(
            code: .transport, resource: resource,
            message: "the request to \(endpoint) failed: \(TransportFailure.describe(error))", underlyingError: error)
    }

    /// Whether a connection attempt was refused: nothing listens at the address
    /// (`ECONNREFUSED`, as NIO reports it directly or inside `NIOConnectionError`).
    static func isConnectionRefused(_ error: any Error) -> Bool {
        switch error {
        case let error as IOError:
            return error.errnoCode == ECONNREFUSED
        case let error as NIOConnectionError:
            return !error.connectionErrors.isEmpty
                && error.connectionErrors.allSatisfy { isConnectionRefused($0.error) }
        default:
            return false
        }
    }
}
