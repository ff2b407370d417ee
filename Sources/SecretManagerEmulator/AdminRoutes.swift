import Foundation
import Hummingbird
import Logging
import NIOCore

/// The admin endpoints under `/_emulator/`, for tests that run the emulator in another
/// process. They are not counted and never faulted.
///
/// | method and path | effect |
/// |---|---|
/// | `GET /_emulator/health` | `{"status":"ok"}` |
/// | `GET /_emulator/stats` | ``EmulatorStats`` as JSON |
/// | `POST /_emulator/reset` | zeroes the counters and forgets recorded impersonations |
/// | `GET /_emulator/impersonations` | the `generateAccessToken` requests received (``ImpersonationRecord``) |
/// | `POST /_emulator/revoke-tokens` | forgets every issued access token (their next use gets 401) |
/// | `GET /_emulator/faults` | the ``FaultConfiguration`` in force |
/// | `POST /_emulator/faults` | replaces it: a ``FaultConfiguration`` as JSON, or `--fault` rule strings (see ``FaultConfiguration/parse(adminBody:)``) |
/// | `DELETE /_emulator/faults` | removes all fault rules |
/// | `GET /_emulator/clock` | Secret Manager's clock: `{"now": RFC3339, "offsetSeconds": N}` |
/// | `POST /_emulator/clock` | `{"advance": "3600s"}` moves it ahead (never back); answers as `GET` |
/// | `POST /_emulator/rotations:run` | publishes `SECRET_ROTATE` for every rotation due now: `{"rotated": [secret names]}` |
struct AdminRoutes {
    /// The largest admin request body, in bytes.
    static let maxBodyBytes = 1 << 20

    let state: EmulatorState
    let logger: Logger

    func register(on group: RouterGroup<EmulatorRequestContext>) {
        let state = self.state
        let logger = self.logger
        group.get("health") { _, _ in WireResponse.admin(["status": "ok"]) }
        group.get("stats") { _, _ in WireResponse.admin(await state.stats()) }
        group.post("reset") { _, _ in
            await state.resetStats()
            return WireResponse.admin(await state.stats())
        }
        group.get("impersonations") { _, _ in WireResponse.admin(await state.impersonations()) }
        group.post("revoke-tokens") { _, _ in
            await state.revokeTokens()
            return WireResponse.admin(["status": "revoked"])
        }
        group.get("clock") { _, _ in WireResponse.json(Self.clock(state)) }
        group.post("clock") { request, _ in
            var request = request
            guard let body = try? await request.collectBody(upTo: Self.maxBodyBytes),
                let object = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
                let text = object["advance"]?.stringValue, let seconds = Self.seconds(text), seconds >= 0
            else {
                return WireResponse.adminError(
                    #"The body must be {"advance": "SECONDSs"}, e.g. {"advance": "3600s"}: the clock only moves ahead."#,
                    status: 400)
            }
            state.clock.advance(by: seconds)
            logger.info("Clock advanced", metadata: ["emulator.clock_advance_s": "\(seconds)"])
            return WireResponse.json(Self.clock(state))
        }
        group.post("rotations:run") { _, _ in
            let rotated = await RotationScheduler.runDue(state)
            return WireResponse.json(.object([("rotated", .array(rotated.map(JSONValue.string)))]))
        }
        group.get("faults") { _, _ in WireResponse.admin(await state.faults()) }
        group.delete("faults") { _, _ in
            await state.setFaults(.none)
            return WireResponse.admin(await state.faults())
        }
        group.post("faults") { request, _ in
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Self.maxBodyBytes)
            } catch {
                return WireResponse.adminError("The body is too large or could not be read.", status: 400)
            }
            let configuration: FaultConfiguration
            do {
                configuration = try FaultConfiguration.parse(adminBody: Array(buffer: body))
            } catch {
                return WireResponse.adminError("The fault configuration is invalid: \(Self.describe(error))", status: 400)
            }
            await state.setFaults(configuration)
            logger.info("Fault rules replaced", metadata: ["emulator.fault_rules": "\(configuration.rules.count)"])
            return WireResponse.admin(configuration)
        }
    }

    /// `{"now": RFC3339, "offsetSeconds": N}` of Secret Manager's clock.
    private static func clock(_ state: EmulatorState) -> JSONValue {
        .object([
            ("now", .string(WireFormat.timestamp(state.clock.now()))),
            ("offsetSeconds", .double(state.clock.offsetSeconds)),
        ])
    }

    /// `"90s"` or `"1.5s"` → seconds.
    private static func seconds(_ text: String) -> Double? {
        guard text.hasSuffix("s"), let value = Double(text.dropLast()), value.isFinite else { return nil }
        return value
    }

    /// A decoding error as one readable sentence.
    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        let (context, kind): (DecodingError.Context, String)
        switch decoding {
        case .dataCorrupted(let c): (context, kind) = (c, "invalid data")
        case .keyNotFound(let key, let c): (context, kind) = (c, "missing key `\(key.stringValue)`")
        case .typeMismatch(let type, let c): (context, kind) = (c, "expected \(type)")
        case .valueNotFound(let type, let c): (context, kind) = (c, "missing \(type) value")
        @unknown default: return "\(error)"
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return "\(kind) at `\(path.isEmpty ? "." : path)`: \(context.debugDescription)"
    }
}
