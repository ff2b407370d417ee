import Foundation
import Testing

@testable import SecretManagerEmulator

@Suite struct FaultRuleTests {
    @Test func parsesTheCompactForm() throws {
        #expect(try FaultRule(parsing: "error:503,count=2") == FaultRule(.error(httpStatus: 503), count: 2))
        #expect(try FaultRule(parsing: "error") == FaultRule(.error(httpStatus: 503)))
        #expect(
            try FaultRule(parsing: "error:504/DEADLINE_EXCEEDED,method=access,rate=0.5")
                == FaultRule(.error(httpStatus: 504, status: "DEADLINE_EXCEEDED"), method: .access, rate: 0.5))
        #expect(
            try FaultRule(parsing: "latency:200+50,resource=*/db/*")
                == FaultRule(.latency(milliseconds: 200, jitterMilliseconds: 50), resource: "*/db/*"))
        #expect(try FaultRule(parsing: "quota:3") == FaultRule(.resourceExhausted(retryAfterSeconds: 3)))
        #expect(try FaultRule(parsing: "drop") == FaultRule(.dropConnection))
        #expect(try FaultRule(parsing: "stall:1.5") == FaultRule(.stall(seconds: 1.5)))
        #expect(try FaultRule(parsing: "checksum") == FaultRule(.wrongChecksum))
    }

    @Test(arguments: ["", "boom", "latency", "error:200", "rate=2", "drop,rate=2", "drop,method=nope", "stall", "drop,count"])
    func rejectsBadRules(text: String) {
        #expect(throws: FaultRuleSyntaxError.self) { try FaultRule(parsing: text) }
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["latency:200+50,method=access", "error:503,count=2", "quota:3,rate=0.5", "drop", "stall:2.0", "checksum"] {
            let rule = try FaultRule(parsing: text)
            #expect(try FaultRule(parsing: rule.description) == rule, "\(text)")
        }
    }

    @Test func jsonRoundTrips() throws {
        let configuration = FaultConfiguration(
            rules: [
                FaultRule(.latency(milliseconds: 10, jitterMilliseconds: 5), method: .access),
                FaultRule(.error(httpStatus: 503, status: "UNAVAILABLE"), rate: 0.25, count: 2),
                FaultRule(.resourceExhausted(retryAfterSeconds: 7), resource: "db"),
                FaultRule(.dropConnection), FaultRule(.stall(seconds: 0.5)), FaultRule(.wrongChecksum),
            ], seed: 42)
        let data = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(FaultConfiguration.self, from: data) == configuration)
        let bare = try JSONDecoder().decode(FaultConfiguration.self, from: Data(#"[{"kind":"drop","count":1}]"#.utf8))
        #expect(bare == FaultConfiguration(rules: [FaultRule(.dropConnection, count: 1)]))
        let single = try JSONDecoder().decode(FaultConfiguration.self, from: Data(#"{"kind":"stall","seconds":2}"#.utf8))
        #expect(single == FaultConfiguration(rules: [FaultRule(.stall(seconds: 2))]))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FaultConfiguration.self, from: Data(#"[{"kind":"explode"}]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FaultConfiguration.self, from: Data(#"[{"kind":"latency","latencyMS":5}]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FaultConfiguration.self, from: Data(#"{"rule":[]}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FaultConfiguration.self, from: Data(#"[{"kind":"error","rate":1.5}]"#.utf8))
        }
    }

    @Test func injectorHonoursCountScopeAndOrder() {
        var injector = FaultInjector(FaultConfiguration(rules: [
            FaultRule(.latency(milliseconds: 5), method: .access),
            FaultRule(.error(httpStatus: 503), method: .access, count: 2),
            FaultRule(.resourceExhausted(retryAfterSeconds: 1), count: 1),
        ]))
        let first = injector.plan(method: .access, resource: "projects/p/secrets/s/versions/1")
        #expect(first.latency == .milliseconds(5))
        #expect(first.outcome == .error(GoogleAPIError(httpStatus: 503, status: "UNAVAILABLE", message: "Injected fault: the service answered 503.")))
        #expect(first.firedKinds == ["latency", "error"])
        _ = injector.plan(method: .access, resource: "x")
        // The error rule is used up; the 429 rule has waited its turn.
        let third = injector.plan(method: .access, resource: "x")
        if case .error(let error) = third.outcome {
            #expect(error.httpStatus == 429)
            #expect(error.retryAfterSeconds == 1)
        } else {
            Issue.record("expected a 429")
        }
        let fourth = injector.plan(method: .access, resource: "x")
        #expect(fourth.outcome == nil)
        #expect(injector.plan(method: .getVersion, resource: "x").firedKinds.isEmpty)
    }

    @Test func wrongChecksumOnlyConcernsAccess() {
        var injector = FaultInjector(FaultConfiguration(rules: [FaultRule(.wrongChecksum, count: 1)]))
        #expect(!injector.plan(method: .getVersion, resource: "x").wrongChecksum)
        #expect(injector.plan(method: .access, resource: "x").wrongChecksum)
        #expect(!injector.plan(method: .access, resource: "x").wrongChecksum)
    }

    @Test func ratesAreReproducibleWithASeed() {
        func run() -> [Bool] {
            var injector = FaultInjector(FaultConfiguration(rules: [FaultRule(.dropConnection, rate: 0.5)], seed: 7))
            return (0..<64).map { _ in injector.plan(method: .access, resource: "x").outcome != nil }
        }
        let a = run()
        #expect(a == run())
        #expect(a.contains(true) && a.contains(false))
    }
}

@Suite struct FaultRuleBoundsTests {
    @Test func aLatencyPlusJitterIsAtMostADay() throws {
        #expect(throws: FaultRuleSyntaxError.self) {
            try FaultRule(parsing: "latency:9223372036854775807+9223372036854775807,count=1")
        }
        #expect(throws: FaultRuleSyntaxError.self) { try FaultRule(parsing: "latency:86400001") }
        #expect(throws: FaultRuleSyntaxError.self) { try FaultRule(parsing: "latency:86400000+1") }
        #expect(try FaultRule(parsing: "latency:86399000+1000") == FaultRule(.latency(milliseconds: 86_399_000, jitterMilliseconds: 1000)))
        let body = Array("latency:9223372036854775807+9223372036854775807,count=1".utf8)
        #expect(throws: (any Error).self) { try FaultConfiguration.parse(adminBody: body) }
    }

    @Test func theInjectorCannotOverflowOnARuleBuiltInCode() {
        var injector = FaultInjector(FaultConfiguration(rules: [
            FaultRule(.latency(milliseconds: .max, jitterMilliseconds: .max)),
            FaultRule(.latency(milliseconds: .max, jitterMilliseconds: .max)),
            FaultRule(.stall(seconds: .infinity)),
            FaultRule(.stall(seconds: .nan)),
        ]))
        let plan = injector.plan(method: .access, resource: "projects/p/secrets/s/versions/1")
        #expect(plan.latency <= .seconds(2 * 86_400))
        #expect(plan.stall == .seconds(86_400))
    }
}
