import Foundation
import Secretsmith

/// The version methods: access, get, list, add, enable, disable, destroy.
extension SecretStore {
    /// `GET …/versions/V:access`: the payload of an ENABLED version.
    ///
    /// - Throws: 404 for a missing secret or version (`latest` of a secret without
    ///   versions too); 400 FAILED_PRECONDITION when the version (also via `latest` or
    ///   an alias) is DISABLED or DESTROYED.
    func access(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let (_, secret, secretName) = try existingSecret(request, orNoVersions: true)
        let version = try resolve(request, in: secret, secretName: secretName)
        let name = "\(secretName)/versions/\(version.number)"
        guard version.state == .enabled else {
            throw .failedPrecondition("Secret Version [\(name)] is in \(version.state.rawValue) state.")
        }
        return WireFormat.access(name: name, payload: version.payload, checksumOffset: request.wrongChecksum ? 1 : 0)
    }

    /// `GET …/versions/V`: a version's metadata, whatever its state.
    func getVersion(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let (_, secret, secretName) = try existingSecret(request)
        return WireFormat.version(try resolve(request, in: secret, secretName: secretName), secretName: secretName)
    }

    /// `GET …/secrets/S/versions`: versions newest first, filtered and paged.
    func listVersions(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        let (_, secret, secretName) = try existingSecret(request)
        let filter = try ListFilter(request.query["filter"] ?? "", fields: ["state", "name"])
        let matching = secret.versions.reversed().filter { version in
            filter.matches { field in
                field == "state" ? version.state.rawValue : "\(secretName)/versions/\(version.number)"
            }
        }
        let page = try PageToken.page(
            of: matching, pageSize: request.query["pageSize"], pageToken: request.query["pageToken"])
        return WireFormat.list(
            key: "versions", items: page.items.map { WireFormat.version($0, secretName: secretName) },
            nextPageToken: page.next, totalSize: matching.count)
    }

    /// `POST …/secrets/S:addVersion` with `{"payload":{"data":B64,"dataCrc32c":"N"}}`.
    /// Queues `SECRET_VERSION_ADD` for the secret's topics.
    ///
    /// - Throws: 404 for a missing secret; 400 INVALID_ARGUMENT for bad base64, a payload
    ///   over 64 KiB, or a `dataCrc32c` that does not match the data.
    mutating func addVersion(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        var (project, secret, secretName) = try existingSecret(request)
        let body = try Self.jsonBody(request)
        let payloadJSON = body?["payload"]
        var payload: [UInt8] = []
        if let data = payloadJSON?["data"] {
            guard let text = data.stringValue, let decoded = Self.decodeBase64(text) else {
                throw .invalidArgument("Invalid value at 'payload.data' (TYPE_BYTES): not valid base64.")
            }
            payload = decoded
        }
        guard payload.count <= SeedParser.maxPayloadBytes else {
            throw .invalidArgument("Secret payload data is \(payload.count) bytes; the limit is \(SeedParser.maxPayloadBytes) bytes.")
        }
        var checksumGiven = false
        if let checksumJSON = payloadJSON?["dataCrc32c"] {
            let expected: UInt64?
            switch checksumJSON {
            case .string(let text): expected = UInt64(text)
            case .integer(let value): expected = value >= 0 ? UInt64(value) : nil
            default: expected = nil
            }
            guard let expected else {
                throw .invalidArgument("Invalid value at 'payload.data_crc32c' (TYPE_INT64).")
            }
            guard expected == UInt64(CRC32C.checksum(payload)) else {
                throw .invalidArgument("Checksum mismatch: payload.data_crc32c does not match the CRC32C of payload.data.")
            }
            checksumGiven = true
        }
        let version = StoredSecret.Version(
            number: secret.versions.count + 1, payload: payload, state: .enabled, createTime: now(),
            destroyTime: nil, etag: nextEtag(), clientSpecifiedPayloadChecksum: checksumGiven)
        secret.versions.append(version)
        store(secret, project: project, location: request.path.location)
        notify("SECRET_VERSION_ADD", secret: secret, name: secretName, version: version)
        return WireFormat.version(version, secretName: secretName)
    }

    /// `POST …/versions/V:enable`, `:disable`, `:destroy`, with an optional
    /// `{"etag":"…"}` body that must match the version's etag. Queues
    /// `SECRET_VERSION_ENABLE`, `_DISABLE` or `_DESTROY` for the secret's topics.
    ///
    /// - Throws: 404 for a missing version; 400 FAILED_PRECONDITION to change a
    ///   DESTROYED version; 409 ABORTED for a stale etag.
    mutating func transition(_ request: APIRequest) throws(GoogleAPIError) -> JSONValue {
        var (project, secret, secretName) = try existingSecret(request)
        var version = try resolve(request, in: secret, secretName: secretName)
        let name = "\(secretName)/versions/\(version.number)"
        if let etag = try Self.jsonBody(request)?["etag"]?.stringValue, !etag.isEmpty, etag != version.etag {
            throw GoogleAPIError(
                httpStatus: 409, status: "ABORTED",
                message: "The etag [\(etag)] does not match the current etag of Secret Version [\(name)].")
        }
        guard version.state != .destroyed else {
            throw .failedPrecondition("Secret Version [\(name)] is in DESTROYED state.")
        }
        switch request.method {
        case .enable:
            version.state = .enabled
        case .disable:
            version.state = .disabled
        default:
            version.state = .destroyed
            version.payload = []
            version.destroyTime = now()
        }
        version.etag = nextEtag()
        secret.versions[version.number - 1] = version
        store(secret, project: project, location: request.path.location)
        let type = switch request.method {
        case .enable: "SECRET_VERSION_ENABLE"
        case .disable: "SECRET_VERSION_DISABLE"
        default: "SECRET_VERSION_DESTROY"
        }
        notify(type, secret: secret, name: secretName, version: version)
        return WireFormat.version(version, secretName: secretName)
    }

    /// The version a request names (number, `latest` or alias).
    ///
    /// - Throws: 404 NOT_FOUND when there is no such version.
    private func resolve(
        _ request: APIRequest, in secret: StoredSecret, secretName: String
    ) throws(GoogleAPIError) -> StoredSecret.Version {
        let id = request.path.versionID ?? "latest"
        guard let version = secret.version(named: id) else {
            if id == "latest" {
                throw .notFound("Secret [\(secretName)] not found or has no versions.")
            }
            throw .notFound("Secret Version [\(secretName)/versions/\(id)] not found.")
        }
        return version
    }

    /// Standard or URL-safe base64, padded or not (proto3 JSON accepts both for bytes).
    private static func decodeBase64(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = standard.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { standard += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
