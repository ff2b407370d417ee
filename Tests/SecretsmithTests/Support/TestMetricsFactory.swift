import CoreMetrics
import Synchronization

/// A swift-metrics backend for tests: remembers every value by name and labels.
final class TestMetricsFactory: MetricsFactory, Sendable {
    /// `name{label=value,...}` with labels sorted by name.
    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        let labels = dimensions.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        return "\(label){\(labels)}"
    }

    private let values = Mutex<[String: Double]>([:])
    private let observations = Mutex<[String: Int]>([:])

    /// The counter or gauge value of `name` with exactly these labels (0 when never set).
    func value(_ name: String, _ labels: [(String, String)] = []) -> Double {
        values.withLock { $0[Self.key(name, labels)] ?? 0 }
    }

    /// The sum over every label set of `name`.
    func total(_ name: String) -> Double {
        values.withLock { $0.filter { $0.key.hasPrefix(name + "{") }.values.reduce(0, +) }
    }

    /// How many values a timer or histogram `name` received, over every label set.
    func observationCount(_ name: String) -> Int {
        observations.withLock { $0.filter { $0.key.hasPrefix(name + "{") }.values.reduce(0, +) }
    }

    /// Every key recorded, for leak checks.
    var allKeys: [String] {
        values.withLock { Array($0.keys) } + observations.withLock { Array($0.keys) }
    }

    fileprivate func add(_ key: String, _ amount: Double) { values.withLock { $0[key, default: 0] += amount } }
    fileprivate func set(_ key: String, _ value: Double) { values.withLock { $0[key] = value } }
    fileprivate func observe(_ key: String) { observations.withLock { $0[key, default: 0] += 1 } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(factory: self, key: Self.key(label, dimensions))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(factory: self, key: Self.key(label, dimensions), aggregate: aggregate)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(factory: self, key: Self.key(label, dimensions), aggregate: true)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let factory: TestMetricsFactory
        let key: String
        let aggregate: Bool

        init(factory: TestMetricsFactory, key: String, aggregate: Bool = false) {
            self.factory = factory
            self.key = key
            self.aggregate = aggregate
        }

        func increment(by amount: Int64) { factory.add(key, Double(amount)) }
        func reset() { factory.set(key, 0) }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) { aggregate ? factory.observe(key) : factory.set(key, value) }
        func recordNanoseconds(_ duration: Int64) { factory.observe(key) }
    }
}
