import Foundation
import Secretsmith

/// The JSON shapes of Secret Manager's REST v1 resources
/// (<https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions>),
/// with members in Google's order and empty fields left out, as proto3 JSON does.
enum WireFormat {
    /// `AccessSecretVersionResponse`:
    /// `{"name":"projects/N/secrets/S/versions/V","payload":{"data":B64,"dataCrc32c":"DEC"}}`.
    ///
    /// `data` is standard padded base64 and is left out for an empty payload;
    /// `dataCrc32c` is the CRC32C of the payload as a decimal string (int64 in JSON).
    ///
    /// - Parameters:
    ///   - name: The resolved version name, with the project number.
    ///   - payload: The payload bytes.
    ///   - checksumOffset: Added to the checksum (1 for the wrong-checksum fault).
    static func access(name: String, payload: [UInt8], checksumOffset: UInt32 = 0) -> JSONValue {
        let checksum = CRC32C.checksum(payload) &+ checksumOffset
        var members: [(String, JSONValue)] = []
        if !payload.isEmpty {
            members.append(("data", .string(Data(payload).base64EncodedString())))
        }
        members.append(("dataCrc32c", .string(String(checksum))))
        return .object([("name", .string(name)), ("payload", .object(members))])
    }

    /// `SecretVersion` metadata: name, createTime, destroyTime (when destroyed), state,
    /// etag, clientSpecifiedPayloadChecksum (when true).
    static func version(_ version: StoredSecret.Version, secretName: String) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string("\(secretName)/versions/\(version.number)")),
            ("createTime", .string(timestamp(version.createTime))),
        ]
        if let destroyTime = version.destroyTime {
            members.append(("destroyTime", .string(timestamp(destroyTime))))
        }
        members.append(("state", .string(version.state.rawValue)))
        members.append(("etag", .string(version.etag)))
        if version.clientSpecifiedPayloadChecksum {
            members.append(("clientSpecifiedPayloadChecksum", .bool(true)))
        }
        return .object(members)
    }

    /// `Secret`: name, replication (global secrets), createTime, labels, topics,
    /// expireTime, etag, rotation, versionAliases (alias → version number as a string,
    /// int64 in JSON), annotations, versionDestroyTtl: the proto's field order, empty
    /// fields left out.
    static func secret(_ secret: StoredSecret, name: String) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name))]
        if let replication = secret.replication {
            members.append(("replication", replication))
        }
        members.append(("createTime", .string(timestamp(secret.createTime))))
        if let labels = secret.fields["labels"], !labels.isEmptyCollection { members.append(("labels", labels)) }
        if !secret.topics.isEmpty {
            members.append(("topics", .array(secret.topics.map { .object([("name", .string($0))]) })))
        }
        if let expireTime = secret.fields["expireTime"], !expireTime.isEmptyCollection {
            members.append(("expireTime", expireTime))
        }
        members.append(("etag", .string(secret.etag)))
        if let rotation = secret.rotation, !rotation.isEmpty {
            members.append(("rotation", rotation.json))
        }
        if !secret.aliases.isEmpty {
            let aliases = secret.aliases.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string(String($0.value))) }
            members.append(("versionAliases", .object(aliases)))
        }
        for field in ["annotations", "versionDestroyTtl"] {
            if let value = secret.fields[field], !value.isEmptyCollection { members.append((field, value)) }
        }
        return .object(members)
    }

    /// An IAM `Policy`: `{"version":N,"bindings":[…],"etag":"…"}`; an unset policy is
    /// `{"version":1,"etag":"ACAB"}`, as IAM answers.
    static func policy(of secret: StoredSecret) -> JSONValue {
        var members: [(String, JSONValue)] = [("version", .integer(secret.iamPolicyVersion))]
        for (key, value) in secret.iamPolicy ?? [] where !value.isEmptyCollection {
            members.append((key, value))
        }
        members.append(("etag", .string(secret.iamPolicyEtag)))
        return .object(members)
    }

    /// A list answer: `{"<key>":[…],"nextPageToken":"…","totalSize":N}`, empty members
    /// left out (`{}` is an empty list).
    static func list(key: String, items: [JSONValue], nextPageToken: String?, totalSize: Int) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if !items.isEmpty { members.append((key, .array(items))) }
        if let nextPageToken { members.append(("nextPageToken", .string(nextPageToken))) }
        if totalSize > 0 { members.append(("totalSize", .integer(Int64(totalSize)))) }
        return .object(members)
    }

    /// RFC 3339 in UTC with microseconds, like `2024-05-01T10:00:00.123456Z`.
    static func timestamp(_ date: Date) -> String {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let (seconds, fraction) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level
        // Date Algorithms", days_from_civil inverse); dates before 1970 do not occur here.
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }
}
