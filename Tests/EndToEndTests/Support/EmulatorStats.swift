/// The emulator's `GET /_emulator/stats` answer, read loosely.
struct EmulatorStats {
    var json: [String: Any]

    init(_ json: [String: Any]) { self.json = json }

    var methods: [String: Int] { json["methods"] as? [String: Int] ?? [:] }
    /// `access` calls (`...versions/V:access`).
    var accessCalls: Int { methods["access"] ?? 0 }
    /// `getVersion` calls (metadata only).
    var getVersionCalls: Int { methods["getVersion"] ?? 0 }
}
