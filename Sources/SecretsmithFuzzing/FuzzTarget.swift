#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import YAML

/// One parser under fuzzing: its entry point and the properties every input must keep.
///
/// Shared by the libFuzzer executables (`make fuzz`, fuzz/Targets) and the corpus replay in
/// the tests (every file under `fuzz/corpus/NAME/`), so a reproducer found by the fuzzer is
/// checked by `make test` without a sanitizer build. Not API for users of the library.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// YAML bytes → `Configuration.parse` (limits, decoder, error positions).
    case configuration
    /// Template bytes → `Template.parse`, then rendering against a fixed value map.
    case template
    /// First line → `SecretReference.parse` and `JSONPointer(parsing:)`; the rest → the JSON
    /// payload the pointer is evaluated in.
    case reference
    /// Bytes → the `AccessSecretVersion` response decoder and Google's error envelope.
    case accessResponse = "access-response"
    /// First byte → HTTP status, the rest → an OAuth 2.0 token endpoint's answer.
    case oauthResponse = "oauth-response"
    /// Bytes → one request through `secretsmith serve`'s router (routes, path and reference
    /// parsing, authentication, policy).
    case serveRouting = "serve-routing"
    /// Bytes → a bearer token through the JWT authenticator over a fixed JWKS.
    case jwt

    /// The largest input the targets read, in bytes (larger inputs are cut): 1 MiB, the
    /// configuration's own limit.
    package static let maxInputBytes = 1 << 20

    /// Runs one input through the target and checks its properties.
    ///
    /// - Throws: ``PropertyViolation`` when a property does not hold. A crash (trap) is a
    ///   finding too; the fuzzer catches it, the replay test dies with it.
    package func run(_ input: [UInt8]) async throws(PropertyViolation) {
        let bytes = Self.bounded(input)
        switch self {
        case .serveRouting: try await ServeRoutingFuzzing.run(bytes)
        case .jwt: try await JWTFuzzing.run(bytes)
        default: try runSynchronously(bytes)
        }
    }

    /// The targets that need no task.
    private func runSynchronously(_ bytes: [UInt8]) throws(PropertyViolation) {
        switch self {
        case .configuration: try ConfigurationFuzzing.run(bytes)
        case .template: try TemplateFuzzing.run(bytes)
        case .reference: try ReferenceFuzzing.run(bytes)
        case .accessResponse: try ResponseFuzzing.runAccessResponse(bytes)
        case .oauthResponse: try ResponseFuzzing.runOAuthResponse(bytes)
        case .serveRouting, .jwt: preconditionFailure("\(rawValue) is asynchronous")
        }
    }

    private static func bounded(_ input: [UInt8]) -> [UInt8] {
        input.count > maxInputBytes ? Array(input.prefix(maxInputBytes)) : input
    }

    /// libFuzzer's callback: runs the input; a property violation prints its sentence and
    /// aborts, which libFuzzer records as a crash with the input.
    ///
    /// - Returns: 0 (the input may be added to the corpus).
    package func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = Self.bounded(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        let violation: PropertyViolation?
        switch self {
        case .serveRouting, .jwt:
            violation = AsyncBridge.wait { () async -> PropertyViolation? in
                do throws(PropertyViolation) {
                    try await self.run(bytes)
                    return nil
                } catch {
                    return error
                }
            }
        default:
            do throws(PropertyViolation) {
                try runSynchronously(bytes)
                violation = nil
            } catch {
                violation = error
            }
        }
        if let violation {
            let line = "secretsmith fuzz target \(rawValue): property violated: \(violation.description)\n"
            FileHandle.standardError.write(Data(line.utf8))
            abort()
        }
        return 0
    }
}

/// A property of a fuzz target that an input broke, as a sentence.
package struct PropertyViolation: Error, CustomStringConvertible, Sendable {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}

/// Checks shared by the targets.
enum FuzzChecks {
    /// Fails unless `mark` lies inside `bytes`: a line from 1 to the number of lines (a final
    /// line without a line break counts, and so does the empty line after a final one) and a
    /// column from 1 to one past the line's last byte (columns count Unicode scalars, never
    /// more than bytes). Lines end at `\n`; with `yamlLineBreaks`, as YAML and libyaml end
    /// them: `\n`, `\r\n`, a lone `\r`, NEL, LS and PS.
    static func checkMark(_ mark: Mark, in bytes: [UInt8], yamlLineBreaks: Bool = false, what: String) throws(PropertyViolation) {
        var lengths: [Int] = []
        var current = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            var breakLength = byte == 0x0A ? 1 : 0
            if yamlLineBreaks {
                if byte == 0x0D {
                    breakLength = index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
                } else if byte == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0x85 {
                    breakLength = 2
                } else if byte == 0xE2, index + 2 < bytes.count, bytes[index + 1] == 0x80,
                    bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
                {
                    breakLength = 3
                }
            }
            if breakLength > 0 {
                lengths.append(current)
                current = 0
                index += breakLength
            } else {
                current += 1
                index += 1
            }
        }
        lengths.append(current)
        guard mark.line >= 1, mark.line <= lengths.count else {
            throw PropertyViolation("\(what) has line \(mark.line), outside the input's \(lengths.count) lines")
        }
        let length = lengths[mark.line - 1]
        guard mark.column >= 1, mark.column <= length + 1 else {
            throw PropertyViolation("\(what) has column \(mark.column) on line \(mark.line), which has \(length) bytes")
        }
    }

    /// Fails when `text` contains one of `secrets` (values that must never reach an error).
    static func checkNoSecret(_ text: String, secrets: [String], what: String) throws(PropertyViolation) {
        for secret in secrets where text.contains(secret) {
            throw PropertyViolation("\(what) contains a secret value: \(text)")
        }
    }
}
