import ArgumentParser
import Foundation
import Secretsmith

/// `--stats`: print the manager's ``SecretManagerStats`` at the end of a run.
enum StatsFormat: String, ExpressibleByArgument, CaseIterable {
    /// A few lines for people.
    case text
    /// One JSON object on one line (the `SecretManagerStats` fields, keys sorted).
    case json
}

/// Prints a manager's stats to standard error (standard output stays the render's, e.g.
/// for `--stdout`). Stats hold counts, codes, environment and project names, never a value.
enum StatsReport {
    /// Runs `body`, then prints the stats in `format` (nil: print nothing), also when
    /// `body` throws (before its error is reported).
    ///
    /// - Throws: what `body` throws.
    static func printing<Result>(
        _ format: StatsFormat?, of manager: MultiEnvironmentSecretManager, _ body: () async throws -> Result
    ) async throws -> Result {
        guard let format else { return try await body() }
        do {
            let result = try await body()
            await write(manager.stats(), format: format)
            return result
        } catch {
            await write(manager.stats(), format: format)
            throw error
        }
    }

    static func write(_ stats: SecretManagerStats, format: StatsFormat) {
        let text = format == .json ? json(stats) : self.text(stats)
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// One line of JSON, newline included.
    static func json(_ stats: SecretManagerStats) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(stats)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A short report for people, newline included.
    static func text(_ stats: SecretManagerStats) -> String {
        var lines = ["secretsmith stats:"]
        var requests = "  requests \(stats.requests)"
        if !stats.errors.isEmpty {
            let errors = stats.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            requests += ", errors \(stats.errors.values.reduce(0, +)) (\(errors))"
        }
        lines.append(requests)
        lines.append(
            "  cache: \(stats.cacheHits) hits, \(stats.cacheMisses) misses, \(stats.singleFlightJoins) single-flight joins, "
                + "\(stats.staleServes) stale, \(stats.cacheEvictions) evictions, \(stats.cacheEntries) entries")
        lines.append(
            "  upstream: \(stats.upstreamCalls) calls, \(stats.retries) retries, "
                + "\(stats.breakerRejections) rejected by an open breaker")
        let latency = stats.accessLatency
        lines.append(
            "  latency: \(latency.count) accesses, mean \(milliseconds(latency.meanSeconds)), "
                + "min \(milliseconds(latency.minSeconds)), max \(milliseconds(latency.maxSeconds))")
        lines.append("  token refreshes: \(stats.tokenRefreshes) (\(stats.tokenRefreshFailures) failed)")
        for breaker in stats.breakers {
            lines.append(
                "  breaker \(breaker.environment)/\(breaker.projectID): \(breaker.state), opened \(breaker.openings) times")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func milliseconds(_ seconds: Double) -> String {
        String(format: "%.1f ms", seconds * 1000)
    }
}
