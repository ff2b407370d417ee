import AsyncHTTPClient
import NIOCore
import Testing
@testable import Secretsmith
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failed connections are said in the system's words, not in NIO's descriptions.
@Suite struct TransportFailureTests {
    @Test func anIOErrorIsTheSystemsTextWithItsSymbol() {
        let reset = IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)")
        let text = TransportFailure.describe(reset)
        #expect(text == "connection reset by peer (ECONNRESET)")
        #expect(!text.contains("errno") && !text.contains("descriptor"))
        #expect(TransportFailure.describe(IOError(errnoCode: EPIPE, reason: "write")) == "broken pipe (EPIPE)")
    }

    @Test func aClosedConnectionIsSaidSo() {
        #expect(
            TransportFailure.describe(HTTPClientError.remoteConnectionClosed)
                == "the connection was closed before the answer was complete")
        #expect(
            TransportFailure.describe(ChannelError.ioOnClosedChannel)
                == "the connection was closed before the answer was complete")
        // Anything else keeps its own description.
        #expect(TransportFailure.describe(HTTPClientError.invalidURL) == String(describing: HTTPClientError.invalidURL))
    }

    @Test func theMessagesOfSecretManagerAndAuthUseIt() throws {
        let reset = IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)")
        let endpoint = try SecretManagerEndpoint.resolve(
            configured: "https://secretmanager.googleapis.com", location: nil, emulatorHost: "127.0.0.1:9")
        let error = SecretManagerClient.transportError(
            reset, resource: "projects/p/secrets/s/versions/1", endpoint: endpoint, timeout: .seconds(1))
        #expect(error.message.hasSuffix("failed: connection reset by peer (ECONNRESET)"), "\(error.message)")
        #expect(AuthHTTPTransport.describe(reset) == "connection reset by peer (ECONNRESET)")
    }
}
