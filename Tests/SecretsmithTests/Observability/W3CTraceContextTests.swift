import Secretsmith
import Testing

/// `traceparent` parsing and formatting (W3C Trace Context §3.2).
@Suite struct W3CTraceContextTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func parsesAndFormatsAValidHeader() throws {
        let context = try #require(W3CTraceContext(traceparent: Self.valid, traceState: "congo=t61rcWkgMzE"))
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID == "00f067aa0ba902b7")
        #expect(context.sampled)
        #expect(context.traceState == "congo=t61rcWkgMzE")
        #expect(context.traceparent == Self.valid)
        let unsampled = try #require(W3CTraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        #expect(!unsampled.sampled)
    }

    @Test(
        "rejects what the specification says to ignore",
        arguments: [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ])
    func rejectsInvalidHeaders(value: String) {
        #expect(W3CTraceContext(traceparent: value) == nil)
    }

    @Test func aFutureVersionWithTrailingFieldsIsAccepted() {
        #expect(W3CTraceContext(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever") != nil)
    }

    @Test func readsTheEnvironmentCarrier() {
        #expect(W3CTraceContext.fromEnvironment(["TRACEPARENT": Self.valid])?.spanID == "00f067aa0ba902b7")
        #expect(W3CTraceContext.fromEnvironment(["TRACEPARENT": "garbage"]) == nil)
        #expect(W3CTraceContext.fromEnvironment([:]) == nil)
    }
}
