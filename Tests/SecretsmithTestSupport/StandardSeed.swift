import SecretManagerEmulator

/// The one seed the in-process emulator tests start from, and the marker its values hold.
///
/// Every text value contains ``sentinel``, so a test can check that no log line, error,
/// metric label or standard error holds a secret value by looking for that one string. Two
/// payloads are known vectors instead: `acme-billing-dev/db-password` version 2 is
/// `"seCr3t\n"` (CRC32C 3131222104, the test vector of Secret Manager's documentation), and
/// the `binary` secrets hold bytes that are not UTF-8.
package enum StandardSeed {
    /// The marker every fixture secret contains; it must never appear in a log, an error or stderr.
    package static let sentinel = "SENTINEL-7c1f"

    /// The project number of `acme-billing-dev`.
    package static let billingNumber = "100000000001"

    /// Four projects:
    /// - `acme-app-dev` (number 424242424242): `db-password` versions 1, 2 (ENABLED) and 3
    ///   (DISABLED); `api-key` version 1 with alias `current`; `config` a JSON payload;
    ///   `binary`; regional `europe-west1` secret `regional`.
    /// - `acme-app-prod` (number 515151515151): `db-password`.
    /// - `acme-billing-dev` (number 100000000001): `db-password` versions 1, 2 (the CRC32C
    ///   vector) and 3 (DISABLED) with aliases `old`, `current` and `broken`; `api-key`
    ///   versions 1 and 2; `binary`; `gone` (one DESTROYED version); `empty` (no versions);
    ///   regional `europe-west1` secret `regional-key`.
    /// - `second-project` (no secrets).
    package static let seed: EmulatorSeed = {
        func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
        return EmulatorSeed(projects: [
            .init(
                id: "acme-app-dev", number: 424_242_424_242,
                secrets: [
                    .init(
                        id: "db-password",
                        versions: [
                            .init(payload: bytes("pw1-\(sentinel)")), .init(payload: bytes("pw2-\(sentinel)\n")),
                            .init(payload: bytes("pw3-\(sentinel)"), state: .disabled),
                        ]),
                    .init(id: "api-key", versions: [.init(payload: bytes("key-\(sentinel)"))], aliases: ["current": 1]),
                    .init(id: "config", versions: [.init(payload: bytes(#"{"db":{"password":"p-\#(sentinel)","port":5432}}"#))]),
                    .init(id: "binary", versions: [.init(payload: [0, 0xFF, 0xEF, 0xBB, 0xBF, 10])]),
                ],
                locations: [
                    .init(name: "europe-west1", secrets: [.init(id: "regional", versions: [.init(payload: bytes("eu-\(sentinel)"))])])
                ]),
            .init(id: "acme-app-prod", number: 515_151_515_151, secrets: [
                .init(id: "db-password", versions: [.init(payload: bytes("prod-\(sentinel)"))])
            ]),
            .init(
                id: "acme-billing-dev", number: 100_000_000_001,
                secrets: [
                    .init(
                        id: "db-password",
                        versions: [
                            .init(payload: bytes("dev-db-pass-\(sentinel)\n")),
                            .init(payload: bytes("seCr3t\n")),
                            .init(payload: bytes("third-\(sentinel)"), state: .disabled),
                        ],
                        aliases: ["current": 2, "old": 1, "broken": 3]),
                    .init(id: "api-key", versions: [.init(payload: bytes("key-v1-\(sentinel)")), .init(payload: bytes("key-v2-\(sentinel)"))]),
                    .init(id: "binary", versions: [.init(payload: [0x00, 0x01, 0x02, 0xFF])]),
                    .init(id: "gone", versions: [.init(payload: [], state: .destroyed)]),
                    .init(id: "empty"),
                ],
                locations: [
                    .init(name: "europe-west1", secrets: [.init(id: "regional-key", versions: [.init(payload: bytes("regional-\(sentinel)"))])])
                ]),
            .init(id: "second-project"),
        ])
    }()

    /// A configuration over the `acme-app-*` projects of ``seed``: `dev` (references `app/…`
    /// and `eu/regional`, plus `app/missing`, which the seed lacks) and `prod`. Retries
    /// 3 attempts from 100 ms; one failed access opens the breaker.
    package static let configuration = """
        version: 1
        defaults:
          retry: { max_attempts: 3, initial_backoff: 100ms, max_backoff: 1s, multiplier: 2 }
          # One access failing after its retries opens the breaker (tests of the breaker).
          circuit_breaker: { failure_rate_threshold: 100%, minimum_calls: 1, recovery_timeout: 30s, half_open_calls: 1 }
        environments:
          dev:
            projects:
              app:
                project_id: acme-app-dev
                secrets:
                  db-password: {}
                  db-password-v2: { secret_id: db-password, version: "2" }
                  api-key: { version: current }
                  config: {}
                  binary: {}
                  missing: {}
              eu:
                project_id: acme-app-dev
                location: europe-west1
                secrets:
                  regional: {}
          prod:
            projects:
              app:
                project_id: acme-app-prod
                secrets:
                  db-password: {}
        """
}
