import Foundation
import Logging
import Secretsmith
import Synchronization
import Testing

@testable import SecretsmithServer

/// The CLI's buffered audit writer: the same lines swift-log's handlers print, every event
/// written (on flush, when the buffer fills), nothing lost.
@Suite struct AuditLogTests {
    final class Sink: Sendable {
        private let chunks = Mutex<[[UInt8]]>([])
        var output: @Sendable ([UInt8]) -> Void { { bytes in self.chunks.withLock { $0.append(bytes) } } }
        var writes: Int { chunks.withLock { $0.count } }
        var text: String { String(decoding: chunks.withLock { $0.joined() }, as: UTF8.self) }
    }

    static func fields() -> AuditRecord.Fields {
        var fields = AuditRecord.Fields()
        fields.route = "reference"
        fields.principal = "token:ci"
        fields.resource = "dev/app/db-password@1"
        fields.reference = "dev/app/db-password@1"
        fields.version = "1"
        fields.cache = "hit"
        return fields
    }

    @Test func textLinesAreStreamLogHandlersLines() {
        let sink = Sink()
        let audit = AuditLog(format: .text, output: sink.output)
        audit.record(Self.fields(), method: "GET", status: 200, duration: .microseconds(1500))
        var refused = AuditRecord.Fields()
        refused.route = "access"
        refused.refusal = "no bearer token"
        audit.record(refused, method: "GET", status: 401, duration: .microseconds(20))
        #expect(sink.writes == 0, "buffered until flushed")
        audit.flush()
        let lines = sink.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[2].isEmpty)
        // `TIMESTAMP info LABEL: sorted key=value pairs [SOURCE] message`, as StreamLogHandler prints.
        let stamp = lines[0].prefix { $0 != " " }
        #expect(stamp.count == "2026-01-02T03:04:05+0000".count)
        #expect(
            lines[0].dropFirst(stamp.count)
                == " info secretsmith.serve.audit: cache=hit duration_ms=1.5 http.method=GET http.status=200 "
                + "principal=token:ci resource=dev/app/db-password@1 route=reference secret.ref=dev/app/db-password@1 "
                + "secret.version=1 [SecretsmithServer] request")
        #expect(
            lines[1].drop { $0 != " " }
                == " info secretsmith.serve.audit: duration_ms=0.02 http.method=GET http.status=401 "
                + "refusal=no bearer token route=access [SecretsmithServer] request")
    }

    @Test func jsonLinesAreJSONLogHandlersLines() throws {
        let sink = Sink()
        let audit = AuditLog(format: .json, output: sink.output)
        audit.record(Self.fields(), method: "GET", status: 200, duration: .microseconds(1500))
        audit.flush()
        // The same event through JSONLogHandler, as the Logger-based audit log writes it.
        let reference = Mutex("")
        let logged = AuditLog(
            logger: Logger(label: AuditLog.label) { label in
                JSONLogHandler(label: label, output: { line in reference.withLock { $0 = line } })
            })
        logged.record(Self.fields(), method: "GET", status: 200, duration: .microseconds(1500))
        func withoutTimestamp(_ line: String) throws -> [String: String] {
            var object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let timestamp = try #require(object.removeValue(forKey: "timestamp") as? String)
            #expect(timestamp.count == "2026-01-02T03:04:05.678Z".count)
            #expect(timestamp.hasSuffix("Z"))
            let metadata = try #require(object.removeValue(forKey: "metadata") as? [String: String])
            var flat = object.mapValues { "\($0)" }
            for (key, value) in metadata { flat["metadata." + key] = value }
            return flat
        }
        #expect(sink.text.hasSuffix("\n"))
        let ours = try withoutTimestamp(String(sink.text.dropLast()))
        let theirs = try withoutTimestamp(reference.withLock { String($0.dropLast()) })
        #expect(ours == theirs)
        #expect(ours["metadata.secret.ref"] == "dev/app/db-password@1")
        // Keys sorted at every level, as JSONLogHandler writes them.
        #expect(sink.text.hasPrefix(#"{"label":"secretsmith.serve.audit","level":"info","message":"request","metadata":{"cache":"hit","#))
    }

    @Test func aFullBufferIsWrittenWithoutWaitingForAFlush() {
        let sink = Sink()
        let audit = AuditLog(format: .text, output: sink.output)
        for _ in 0..<2000 { audit.record(Self.fields(), method: "GET", status: 200, duration: .microseconds(10)) }
        #expect(sink.writes >= 1, "64 KiB of lines are written at once")
        audit.flush()
        #expect(sink.text.split(separator: "\n").count == 2000, "every event, once")
    }

    @Test func theBearerTokenIsTakenWithoutItsScheme() {
        #expect(SecretServer.bearerToken(in: "Bearer abc") == "abc")
        #expect(SecretServer.bearerToken(in: "bEaReR abc") == "abc")
        #expect(SecretServer.bearerToken(in: "Bearer   abc \t") == "abc")
        #expect(SecretServer.bearerToken(in: "Bearer  ") == "")
        #expect(SecretServer.bearerToken(in: "Bearer ") == nil)
        #expect(SecretServer.bearerToken(in: "Basic abcdefgh") == nil)
        #expect(SecretServer.bearerToken(in: "Bearer\tabc") == nil)
        #expect(SecretServer.bearerToken(in: "Bearer\u{00A0}abc\u{00A0}") == nil)
    }
}
