import Foundation
import SecretsmithFuzzing
import Testing
import YAML

/// `make test` replays the fuzz targets' regression corpus: every file under
/// `fuzz/corpus/TARGET/` (inputs that once crashed or broke a property, and a few seeds)
/// runs through the same entry point and property checks as the libFuzzer executables,
/// without a sanitizer build. (`fuzz/corpus/outputs/cases.json` is replayed by the output
/// property tests in fuzz/properties.)
@Suite struct CorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/corpus")

    static func inputs(of target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        let directory = corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { name in
            (name, Array(try Data(contentsOf: directory.appendingPathComponent(name))))
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) async throws {
        let inputs = try Self.inputs(of: target)
        #expect(!inputs.isEmpty, "fuzz/corpus/\(target.rawValue)/ is empty")
        for (name, bytes) in inputs {
            do throws(PropertyViolation) {
                try await target.run(bytes)
            } catch {
                Issue.record("fuzz/corpus/\(target.rawValue)/\(name): \(error.description)")
            }
        }
    }
}
