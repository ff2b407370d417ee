import Foundation
import InMemoryLogging
import Logging
import Secretsmith
import SecretsmithTestSupport
import Testing

@testable import SecretsmithServer

/// What the request path works out once per principal.
@Suite struct ServeMemoTests {
    @Test func theRequestReasonNamesEachPrincipal() async throws {
        try await withServer { harness in
            let ci = harness.server.requestReason(for: .staticToken(named: "ci"))
            let narrow = harness.server.requestReason(for: .staticToken(named: "narrow"))
            #expect(ci == "secretsmith serve for token:ci")
            #expect(narrow == "secretsmith serve for token:narrow")
            #expect(harness.server.requestReason(for: .staticToken(named: "ci")) == ci)
        }
    }
}

/// The server's log handler wrapper: metadata kept until a message is logged.
@Suite struct DeferredMetadataLogHandlerTests {
    @Test func metadataSetOnTheLoggerReachesTheWrappedHandlerWithAMessage() {
        let logs = InMemoryLogHandler()
        var inner = logs
        inner.metadata = ["base": "1", "shadowed": "inner"]
        var logger = Logger(label: "test") { _ in DeferredMetadataLogHandler(wrapping: inner) }
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "abc"
        logger[metadataKey: "shadowed"] = "logger"
        #expect(logger[metadataKey: "base"] == "1")
        #expect(logger[metadataKey: "hb.request.id"] == "abc")
        logger.debug("not logged")
        logger.info("logged", metadata: ["call": "x", "hb.request.id": "call wins"])
        let entries = logs.entries
        #expect(entries.count == 1)
        let metadata = entries.first?.metadata ?? [:]
        #expect(metadata["base"] == "1")
        #expect(metadata["shadowed"] == "logger")
        #expect(metadata["call"] == "x")
        #expect(metadata["hb.request.id"] == "call wins")
        // Removing a key removes the wrapped handler's too.
        logger[metadataKey: "base"] = nil
        #expect(logger[metadataKey: "base"] == nil)
        logger.info("again")
        #expect(logs.entries.last?.metadata["base"] == nil)
        #expect(logs.entries.last?.metadata["hb.request.id"] == "abc")
    }
}
