@testable import Secretsmith
import Testing

/// `circuit_breaker:` keys: the rate settings, the `failure_threshold` alias, and errors.
@Suite struct CircuitBreakerConfigurationTests {
    @Test func rateSettingsAreReadWithPercentagesAndDurations() throws {
        let configuration = try ConfigurationTesting.parse("""
            version: 1
            defaults:
              circuit_breaker: { failure_rate_threshold: 75%, minimum_calls: 8, window: 2m, recovery_timeout: 10s, half_open_calls: 5 }
            environments:
              dev:
                circuit_breaker: { failure_rate_threshold: 60 }
                projects:
                  p: { project_id: proj-one, secrets: { s: {} } }
            """)
        let secret = try configuration.resolve(SecretReference.parse("dev/p/s"), activeEnvironment: nil)
        #expect(
            secret.circuitBreaker
                == CircuitBreakerPolicy(
                    failureRateThreshold: 60, minimumCalls: 8, window: .seconds(120), recoveryTimeout: .seconds(10),
                    halfOpenCalls: 5))
        #expect(secret.origins["circuit_breaker.failure_rate_threshold"] == .environment)
        #expect(secret.origins["circuit_breaker.half_open_calls"] == .global)
    }

    @Test func failureThresholdIsAnAliasOfAllFailedOverAtLeastN() throws {
        let configuration = try ConfigurationTesting.parse(ConfigurationTesting.minimal(devBody: """
                circuit_breaker: { failure_threshold: 5 }
                projects:
                  p: { project_id: proj-one, secrets: { s: {} } }
            """))
        let secret = try configuration.resolve(SecretReference.parse("dev/p/s"), activeEnvironment: nil)
        #expect(secret.circuitBreaker.failureRateThreshold == 100)
        #expect(secret.circuitBreaker.minimumCalls == 5)
    }

    @Test func failureThresholdWithTheRateSettingsIsAPositionedError() throws {
        let error = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
                circuit_breaker: { failure_threshold: 5, minimum_calls: 10 }
                projects: {}
            """))
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("secretsmith.yaml:4:"), "\(text)")
        #expect(text.contains("circuit_breaker.failure_threshold"), "\(text)")
        #expect(text.contains("cannot be combined"), "\(text)")
    }

    @Test(arguments: ["0%", "101%", "half", "-5"])
    func aRateOutsideOneToAHundredPercentIsRefused(_ value: String) {
        let error = ConfigurationTesting.error(ConfigurationTesting.minimal(devBody: """
                circuit_breaker: { failure_rate_threshold: "\(value)" }
                projects: {}
            """))
        #expect(error.map { "\($0)" }?.contains("failure_rate_threshold") == true)
    }
}
