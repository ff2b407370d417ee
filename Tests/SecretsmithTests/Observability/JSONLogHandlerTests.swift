import Foundation
import Logging
import Secretsmith
import Synchronization
import Testing

/// The JSON log format: one object per line with the documented fields.
@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
        var output: @Sendable (String) -> Void { { line in self.storage.withLock { $0.append(line) } } }
    }

    func logger(_ lines: Lines, provider: Logger.MetadataProvider? = nil) -> Logger {
        var logger = Logger(label: "secretsmith") { label in
            JSONLogHandler(label: label, metadataProvider: provider, output: lines.output)
        }
        logger.logLevel = .trace
        return logger
    }

    @Test func aLineIsOneJSONObjectWithTheDocumentedFields() throws {
        let lines = Lines()
        logger(lines).info(
            "secret accessed",
            metadata: [
                "secret.ref": "dev/app/db-password", "secret.version": "3", "environment": "dev",
                "gcp.project": "acme-app-dev", "cache": "miss", "attempts": "1", "duration_ms": "12",
            ])
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "secretsmith")
        #expect(object["message"] as? String == "secret accessed")
        let timestamp = try #require(object["timestamp"] as? String)
        // RFC 3339, UTC, milliseconds: 2025-01-31T23:59:59.123Z
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(timestamp)")
        let parsed = ISO8601DateFormatter()
        parsed.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(parsed.date(from: timestamp))
        #expect(abs(date.timeIntervalSinceNow) < 3600)
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata["secret.ref"] == "dev/app/db-password")
        #expect(metadata["gcp.project"] == "acme-app-dev")
        #expect(Set(metadata.keys) == ["secret.ref", "secret.version", "environment", "gcp.project", "cache", "attempts", "duration_ms"])
    }

    @Test func theMetadataProviderAddsTraceIdsAndEventMetadataWins() throws {
        let lines = Lines()
        let provider = Logger.MetadataProvider { ["trace_id": "abc", "span_id": "def", "cache": "provider"] }
        logger(lines, provider: provider).debug("secret accessed", metadata: ["cache": "hit"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata == ["trace_id": "abc", "span_id": "def", "cache": "hit"])
    }

    @Test func aLineWithoutMetadataHasNoMetadataKeyAndEscapesText() throws {
        let lines = Lines()
        logger(lines).warning("a \"quoted\"\nmessage")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(object["metadata"] == nil)
        #expect(object["message"] as? String == "a \"quoted\"\nmessage")
        #expect(lines.all[0].dropLast().contains("\n") == false)
    }
}
