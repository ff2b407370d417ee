/// A Secret Manager API method the emulator serves, or one of its authentication
/// endpoints: the names used in request counters (``EmulatorStats``) and in fault rules'
/// `method` scope (``FaultRule``).
public enum EmulatorMethod: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// `GET …/versions/V:access`.
    case access
    /// `GET …/versions/V`.
    case getVersion
    /// `GET …/secrets/S/versions`.
    case listVersions
    /// `POST …/secrets/S:addVersion`.
    case addVersion
    /// `POST …/versions/V:enable`.
    case enable
    /// `POST …/versions/V:disable`.
    case disable
    /// `POST …/versions/V:destroy`.
    case destroy
    /// `POST …/secrets?secretId=S`.
    case createSecret
    /// `GET …/secrets/S`.
    case getSecret
    /// `DELETE …/secrets/S`.
    case deleteSecret
    /// `GET …/secrets`.
    case listSecrets
    /// `PATCH …/secrets/S?updateMask=…`: labels, annotations, aliases and the other
    /// mutable fields of a secret (what `gcloud secrets update` sends).
    case updateSecret
    /// `GET …/secrets/S:getIamPolicy`.
    case getIamPolicy
    /// `POST …/secrets/S:setIamPolicy`.
    case setIamPolicy
    /// `POST /token`: the OAuth 2.0 token endpoint (JWT-bearer and refresh-token grants).
    case oauthToken
    /// `POST /v1/token`: the Security Token Service's token exchange (workload identity federation).
    case stsToken
    /// `GET /` with `Metadata-Flavor: Google`: a client checking that a metadata server is there.
    case metadataPing
    /// `GET /computeMetadata/v1/instance/service-accounts/default/token`.
    case metadataToken
    /// `GET /computeMetadata/v1/project/project-id`.
    case metadataProjectID
    /// `POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken` (IAM Credentials).
    case generateAccessToken

    public var description: String { rawValue }

    /// The IAM permission Google checks for this method, used in 403 messages.
    var permission: String {
        switch self {
        case .access: "secretmanager.versions.access"
        case .getVersion: "secretmanager.versions.get"
        case .listVersions: "secretmanager.versions.list"
        case .addVersion: "secretmanager.versions.add"
        case .enable: "secretmanager.versions.enable"
        case .disable: "secretmanager.versions.disable"
        case .destroy: "secretmanager.versions.destroy"
        case .createSecret: "secretmanager.secrets.create"
        case .getSecret: "secretmanager.secrets.get"
        case .deleteSecret: "secretmanager.secrets.delete"
        case .listSecrets: "secretmanager.secrets.list"
        case .updateSecret: "secretmanager.secrets.update"
        case .getIamPolicy: "secretmanager.secrets.getIamPolicy"
        case .setIamPolicy: "secretmanager.secrets.setIamPolicy"
        case .generateAccessToken: "iam.serviceAccounts.getAccessToken"
        case .oauthToken, .stsToken, .metadataPing, .metadataToken, .metadataProjectID: "none"
        }
    }
}
