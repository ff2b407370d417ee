/// One `generateAccessToken` request the emulator received, for tests that check what a
/// client sent: `GET /_emulator/impersonations` answers the list as JSON, in order, and
/// `SecretManagerEmulator.impersonations()` returns it in-process.
public struct ImpersonationRecord: Sendable, Equatable, Codable {
    /// The caller's principal (from its bearer token), or `nil` when the token was not valid.
    public var caller: String?
    /// The service account in the URL.
    public var target: String
    /// `delegates` as sent (resource names `projects/-/serviceAccounts/EMAIL`).
    public var delegates: [String]
    /// `scope` as sent.
    public var scope: [String]
    /// `lifetime` as sent (e.g. `3600s`), or `nil` when absent.
    public var lifetime: String?
    /// The HTTP status answered.
    public var status: Int

    public init(caller: String?, target: String, delegates: [String], scope: [String], lifetime: String?, status: Int) {
        self.caller = caller
        self.target = target
        self.delegates = delegates
        self.scope = scope
        self.lifetime = lifetime
        self.status = status
    }
}
