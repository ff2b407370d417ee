import Logging
import Testing

@testable import Secretsmith

/// A library logs only where its caller asks: swift-log's guidance is a no-op default.
@Suite struct ManagerDefaultLoggerTests {
    @Test func theDefaultLoggerDiscardsEveryEvent() throws {
        let manager = MultiEnvironmentSecretManager(configuration: try ErrorCodeTests.configuration())
        #expect(manager.logger.handler is SwiftLogNoOpLogHandler)
        #expect(manager.logger.label == "secretsmith")
    }
}
