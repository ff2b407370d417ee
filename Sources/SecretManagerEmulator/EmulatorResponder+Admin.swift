import Foundation
import Hummingbird
import NIOCore

/// The admin endpoints, for tests that run the emulator in another process. They are
/// not counted and never faulted.
///
/// | method and path | effect |
/// |---|---|
/// | `GET /_emulator/health` | `{"status":"ok"}` |
/// | `GET /_emulator/stats` | ``EmulatorStats`` as JSON |
/// | `POST /_emulator/reset` | zeroes the counters and forgets recorded impersonations |
/// | `GET /_emulator/impersonations` | the `generateAccessToken` requests received (``ImpersonationRecord``) |
/// | `POST /_emulator/revoke-tokens` | forgets every issued access token (their next use gets 401) |
/// | `GET /_emulator/faults` | the ``FaultConfiguration`` in force |
/// | `POST /_emulator/faults` | replaces it (body: a ``FaultConfiguration`` or an array of ``FaultRule``) |
/// | `DELETE /_emulator/faults` | removes all fault rules |
extension EmulatorResponder {
    /// The largest admin request body, in bytes.
    static let maxAdminBodyBytes = 1 << 20

    func admin(_ request: Request, path: String) async throws -> Response {
        switch (request.method, path) {
        case (.get, "/_emulator/health"):
            return WireResponse.admin(["status": "ok"])
        case (.get, "/_emulator/stats"):
            return WireResponse.admin(await state.stats())
        case (.post, "/_emulator/reset"):
            await state.resetStats()
            return WireResponse.admin(await state.stats())
        case (.get, "/_emulator/impersonations"):
            return WireResponse.admin(await state.impersonations())
        case (.post, "/_emulator/revoke-tokens"):
            await state.revokeTokens()
            return WireResponse.admin(["status": "revoked"])
        case (.get, "/_emulator/faults"):
            return WireResponse.admin(await state.faults())
        case (.delete, "/_emulator/faults"):
            await state.setFaults(.none)
            return WireResponse.admin(await state.faults())
        case (.post, "/_emulator/faults"):
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: Self.maxAdminBodyBytes)
            } catch {
                return WireResponse.adminError("The body is too large or could not be read.", status: 400)
            }
            let configuration: FaultConfiguration
            do {
                configuration = try JSONDecoder().decode(FaultConfiguration.self, from: Data(Array(buffer: body)))
            } catch {
                return WireResponse.adminError("The fault configuration is invalid: \(Self.describe(error))", status: 400)
            }
            await state.setFaults(configuration)
            logger.info("Fault rules replaced", metadata: ["emulator.fault_rules": "\(configuration.rules.count)"])
            return WireResponse.admin(configuration)
        default:
            return WireResponse.adminError("Unknown admin endpoint \(request.method) \(path).", status: 404)
        }
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
