/// The payload of one accessed secret version: raw bytes, as Secret Manager stored them.
///
/// `description`, `debugDescription` and string interpolation print `<redacted>`, so a
/// value that reaches a log line, an error or a crash message by accident does not leak.
/// Read the bytes explicitly with ``bytes`` or ``utf8String``.
///
/// A payload is at most 64 KiB (65,536 bytes), Secret Manager's limit
/// (<https://cloud.google.com/secret-manager/quotas>).
public struct SecretValue: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The raw payload bytes.
    public let bytes: [UInt8]
    /// The version number that was accessed (Secret Manager resolves `latest` and aliases
    /// to a number and reports it in the response `name`), or `nil` when the answer did not
    /// carry one.
    public let version: Int?

    /// Creates a value from payload bytes and the version number they came from.
    public init(bytes: [UInt8], version: Int? = nil) {
        self.bytes = bytes
        self.version = version
    }

    /// The payload decoded as UTF-8, or `nil` when it is not valid UTF-8.
    public var utf8String: String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// The payload size in bytes.
    public var count: Int { bytes.count }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "SecretValue(<redacted>, \(bytes.count) bytes)" }
    /// Mirrors show no bytes either (`dump`, test failure output).
    public var customMirror: Mirror {
        Mirror(self, children: ["count": bytes.count, "version": version as Any], displayStyle: .struct)
    }
}
