/// How an emulator listens and which faults it starts with.
public struct EmulatorConfiguration: Sendable, Equatable {
    /// The address to bind. Default `127.0.0.1` (loopback only).
    public var host: String
    /// The TCP port; 0 (the default) picks a free ephemeral port, reported by
    /// ``SecretManagerEmulator/start()``.
    public var port: Int
    /// The fault rules in force from the start. Default none.
    public var faults: FaultConfiguration

    public init(host: String = "127.0.0.1", port: Int = 0, faults: FaultConfiguration = .none) {
        self.host = host
        self.port = port
        self.faults = faults
    }
}
