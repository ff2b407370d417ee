import AsyncHTTPClient
import Foundation
import SecretManagerEmulator
@testable import Secretsmith
import SecretsmithTestSupport
import Testing
import Tracing

/// Spans recorded with the in-memory ``SpanRecorder``: their tree, the remote parent from
/// `TRACEPARENT`, and the `traceparent` header the emulator receives.
@Suite struct TracingTests {
    static let sentinel = EmulatorFixture.sentinel
    static let remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    /// A render of two outputs (three distinct versions) inside the run and render spans,
    /// with a recording tracer scoped to this test.
    func renderTraced(environment extra: [String: String] = [:]) async throws
        -> (spans: [RecordedSpan], emulator: EmulatorStats)
    {
        try await withEmulator { fixture in
            let recorder = SpanRecorder()
            let tracer = W3CTracer(recorder: recorder)
            var clientConfiguration = HTTPClient.Configuration()
            clientConfiguration.tracing.tracer = tracer
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            return try await withCleanup(httpClient, cleanup: { try? await $0.shutdown() }) { httpClient in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: directory) }
                let text = EmulatorFixture.standardConfiguration + """

                    outputs:
                      - { name: env, format: dotenv, path: out/app.env, values: { KEY: app/api-key, PW: app/db-password-v2 } }
                      - { name: json, format: json, path: out/app.json, values: { PORT: "app/config#/db/port", KEY: app/api-key } }
                    """
                let environment = ["SECRET_MANAGER_EMULATOR_HOST": fixture.host].merging(extra) { $1 }
                let configuration = try Configuration.parse(
                    Array(text.utf8), file: directory.appendingPathComponent("secretsmith.yaml").path,
                    environment: environment, directory: directory.path)
                let manager = MultiEnvironmentSecretManager(
                    configuration: configuration, httpClient: httpClient, processEnvironment: environment,
                    clock: fixture.clock.clock)
                let renderer = Renderer(manager: manager, processEnvironment: [:])
                try await withTracer(tracer) {
                    try await SecretsmithSpans.withRunSpan(command: "render", environment: environment) { _ in
                        try await withSpan(SecretsmithSpans.render) { _ in
                            let plan = try RenderPlan.make(configuration: configuration, environment: "dev", only: [])
                            let values = try await renderer.fetch(plan)
                            _ = try renderer.render(plan, values: values)
                        }
                    }
                }
                return (recorder.finishedSpans, await fixture.emulator.stats())
            }
        }
    }

    @Test func fetchSpansAreChildrenOfTheRenderSpanAndHTTPSpansOfTheFetch() async throws {
        let (spans, emulator) = try await renderTraced()
        let run = try #require(spans.first { $0.name == "secretsmith render" })
        let render = try #require(spans.first { $0.name == SecretsmithSpans.render })
        #expect(run.parentSpanID == nil)
        #expect(render.parentSpanID == run.spanID)
        #expect(Set(spans.map(\.traceID)) == [run.traceID])

        let fetches = spans.filter { $0.name == SecretsmithSpans.access }
        #expect(fetches.count == 3)
        #expect(fetches.allSatisfy { $0.parentSpanID == render.spanID })
        for fetch in fetches {
            #expect(fetch.attributes["secretsmith.environment"] == .string("dev"))
            #expect(fetch.attributes["cloud.account.id"] == .string("acme-app-dev"))
            #expect(fetch.attributes["secretsmith.cache"] == .string("miss"))
            #expect(fetch.attributes["secretsmith.attempts"] == .int(1))
            let attempt = try #require(fetch.events.first { $0.name == SecretsmithSpans.attemptEvent })
            #expect(attempt.attributes["http.response.status_code"] == .int(200))
            #expect(attempt.attributes["secretsmith.attempt"] == .int(1))
        }

        let requests = spans.filter { $0.kind == "client" }
        #expect(requests.count == 3)
        #expect(Set(requests.compactMap(\.parentSpanID)) == Set(fetches.map(\.spanID)))
        for request in requests {
            #expect(request.attributes["http.request.method"] == .string("GET"))
            #expect(request.attributes["server.address"] == .string("127.0.0.1"))
            #expect(request.attributes["http.response.status_code"] == .int(200))
            guard case .string(let url) = request.attributes["url.full"] else {
                Issue.record("no url.full")
                continue
            }
            #expect(url.hasSuffix(":access") && !url.contains("?"))
        }

        let outputs = spans.filter { $0.name == SecretsmithSpans.renderOutput }
        #expect(outputs.map { $0.attributes["secretsmith.output.name"] } == [.string("env"), .string("json")])
        #expect(outputs.allSatisfy { $0.parentSpanID == render.spanID })

        // Every request carried the traceparent of its own HTTP span.
        #expect(Set(emulator.traceparents) == Set(requests.map { "00-\($0.traceID)-\($0.spanID)-01" }))
    }

    @Test func anIncomingTraceparentParentsTheRunAndIsPropagated() async throws {
        let (spans, emulator) = try await renderTraced(environment: ["TRACEPARENT": Self.remote])
        let run = try #require(spans.first { $0.name == "secretsmith render" })
        #expect(run.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(run.parentSpanID == "b7ad6b7169203331")
        #expect(spans.allSatisfy { $0.traceID == "0af7651916cd43dd8448eb211c80319c" })
        #expect(spans.filter { $0.name == SecretsmithSpans.access }.count == 3)
        #expect(emulator.traceparents.count == 3)
        #expect(emulator.traceparents.allSatisfy { $0.hasPrefix("00-0af7651916cd43dd8448eb211c80319c-") && $0.hasSuffix("-01") })
    }

    @Test func anUnsampledParentPropagatesButRecordsNothing() async throws {
        let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
        let (spans, emulator) = try await renderTraced(environment: ["TRACEPARENT": unsampled])
        #expect(spans.isEmpty)
        #expect(emulator.traceparents.count == 3)
        #expect(emulator.traceparents.allSatisfy { $0.hasPrefix("00-0af7651916cd43dd8448eb211c80319c-") && $0.hasSuffix("-00") })
    }

    @Test func spanAttributesAndEventsHoldNoValue() async throws {
        let (spans, _) = try await renderTraced(environment: ["TRACEPARENT": Self.remote])
        #expect(!spans.isEmpty)
        for span in spans {
            #expect(!span.jsonLine.contains(Self.sentinel), "\(span.name)")
            #expect(!span.jsonLine.contains("key-"), "\(span.name)")
        }
    }
}
