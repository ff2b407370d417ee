import Foundation

/// `secretsmith.lock`: the version number every `latest`, alias and numbered reference of
/// a configuration resolved to, for reproducible deploys (`render --frozen`,
/// `exec --frozen`, `check --frozen`).
///
/// The file sits next to the configuration file. It is JSON, keys sorted, pins sorted by
/// environment then resource, no timestamps, so that locking twice without an upstream
/// change leaves it byte-identical (and its mtime alone):
///
/// ```json
/// {
///   "lock_version" : 1,
///   "pins" : [
///     {
///       "environment" : "prod",
///       "etag" : "\"1700000000000000\"",
///       "name" : "projects/300000000031/secrets/db-password/versions/7",
///       "resource" : "projects/acme-billing-prod/secrets/db-password/versions/latest",
///       "version" : 7
///     }
///   ]
/// }
/// ```
///
/// It holds resource names, version numbers and etags, never a value.
public struct LockFile: Sendable, Hashable {
    /// The lock file's name, next to the configuration file.
    public static let fileName = "secretsmith.lock"
    /// The `lock_version` this release writes and reads.
    public static let formatVersion = 1
    /// The largest lock file read, in bytes (4 MiB).
    static let maxBytes = 4 << 20

    /// The pins, sorted by environment then resource.
    public private(set) var pins: [LockPin]

    /// A lock of these pins (sorted; for a duplicate environment and resource the last wins).
    public init(pins: [LockPin]) {
        var unique: [String: LockPin] = [:]
        for pin in pins { unique["\(pin.environment)\u{0}\(pin.resource)"] = pin }
        self.pins = unique.values.sorted(by: LockPin.fileOrder)
    }

    /// The lock file's path for a configuration: `secretsmith.lock` in its directory.
    public static func path(for configuration: Configuration) -> String {
        FilePaths.absolute(fileName, relativeTo: configuration.directory)
    }

    /// The pin of one version resource in one environment.
    public func pin(environment: String, resource: String) -> LockPin? {
        pins.first { $0.environment == environment && $0.resource == resource }
    }

    /// The environments the lock has pins for.
    public var environments: Set<String> { Set(pins.map(\.environment)) }

    /// This lock with every pin of `environments` replaced by `newPins`; pins of other
    /// environments are kept.
    public func replacing(environments: Set<String>, with newPins: [LockPin]) -> LockFile {
        LockFile(pins: pins.filter { !environments.contains($0.environment) } + newPins)
    }

    // MARK: Reading and writing

    /// Reads a lock file.
    ///
    /// - Returns: the lock, or `nil` when no file exists at `path`.
    /// - Throws: ``LockFileError`` when the file cannot be read or is malformed.
    public static func load(path: String) throws(LockFileError) -> LockFile? {
        let bytes: [UInt8]
        switch FileSystemCalls.readRegularFile(path, limit: maxBytes) {
        case .success(let read): bytes = read
        case .failure(.missing): return nil
        case .failure(let failure):
            throw LockFileError(path: path, message: "the lock file cannot be used: \(failure.reason(limit: maxBytes))")
        }
        return try decode(bytes, path: path)
    }

    /// Parses lock file content.
    ///
    /// - Throws: ``LockFileError`` naming the problem: not JSON of the expected shape, an
    ///   unknown `lock_version`, a pin without `/versions/` or with a version below 1, a
    ///   duplicate pin.
    public static func decode(_ bytes: [UInt8], path: String) throws(LockFileError) -> LockFile {
        let regenerate = "Regenerate it with `secretsmith lock`."
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(bytes))
        } catch {
            throw LockFileError(
                path: path, message: "the lock file is not the JSON secretsmith writes (\(Self.describe(error)))",
                hint: regenerate)
        }
        guard document.lockVersion == formatVersion else {
            throw LockFileError(
                path: path,
                message: "lock_version \(document.lockVersion) is not supported; this secretsmith reads version \(formatVersion)",
                hint: regenerate)
        }
        var seen = Set<String>()
        for (index, pin) in document.pins.enumerated() {
            guard pin.resource.contains("/secrets/"), pin.resource.contains("/versions/"), !pin.environment.isEmpty else {
                throw LockFileError(
                    path: path, message: "pins[\(index)] is not a secret version resource (\"\(pin.resource)\")",
                    hint: regenerate)
            }
            guard pin.version >= 1 else {
                throw LockFileError(path: path, message: "pins[\(index)] has version \(pin.version); versions start at 1", hint: regenerate)
            }
            guard seen.insert("\(pin.environment)\u{0}\(pin.resource)").inserted else {
                throw LockFileError(
                    path: path, message: "pins[\(index)] pins \(pin.resource) in environment \(pin.environment) a second time",
                    hint: regenerate)
            }
        }
        return LockFile(pins: document.pins)
    }

    /// The file's content: pretty-printed JSON with sorted keys and a final newline.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        let data = (try? encoder.encode(Document(lockVersion: Self.formatVersion, pins: pins))) ?? Data()
        return [UInt8](data) + [0x0A]
    }

    /// Writes the lock atomically (temporary file, fsync, rename, directory fsync) with mode
    /// 0644: it holds no value and belongs in version control. An unchanged file is not
    /// rewritten.
    ///
    /// - Returns: true when the file was written, false when it already had this content.
    /// - Throws: ``OutputWriteError`` (exit 73) naming the path.
    @discardableResult
    package func write(to path: String) throws(OutputWriteError) -> Bool {
        let options = WriteOptions(mode: 0o644, allowWorldReadable: true)
        return try AtomicFileWriter().write([(path: path, bytes: encoded(), options: options)])[0].status == .written
    }

    /// The file's JSON shape.
    struct Document: Codable {
        var lockVersion: Int
        var pins: [LockPin]

        enum CodingKeys: String, CodingKey {
            case lockVersion = "lock_version"
            case pins
        }

        init(lockVersion: Int, pins: [LockPin]) {
            self.lockVersion = lockVersion
            self.pins = pins
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            lockVersion = try LockFile.wholeNumber(in: container, forKey: .lockVersion)
            pins = try container.decode([LockPin].self, forKey: .pins)
        }
    }

    /// Decodes an `Int` member. Foundation's `JSONDecoder` on Linux reports a number that is not
    /// a whole number in `Int`'s range (`1.5`, `1e30`) as "not valid JSON" without its coding
    /// path; this names the member and what is wrong with it instead.
    ///
    /// - Throws: `DecodingError.dataCorrupted` at the member's coding path for such a number;
    ///   the decoder's own error otherwise.
    static func wholeNumber<Key: CodingKey>(in container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> Int {
        do {
            return try container.decode(Int.self, forKey: key)
        } catch {
            // Foundation's own error for such a number is internal; a number `Double` reads is one.
            guard let number = try? container.decode(Double.self, forKey: key) else { throw error }
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: container.codingPath + [key],
                debugDescription: number.isFinite && number == number.rounded()
                    ? "a whole number out of range" : "not a whole number"))
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return "invalid JSON" }
            let reason = ["not a whole number", "a whole number out of range"].contains(context.debugDescription)
                ? ": \(context.debugDescription)" : ""
            return "invalid value at \(path(context.codingPath))\(reason)"
        default:
            return "invalid JSON"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
    }
}
