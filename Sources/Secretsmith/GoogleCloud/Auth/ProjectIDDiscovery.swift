import AsyncHTTPClient
import Logging

/// Finds the Google Cloud project id when the configuration gives none (as
/// <https://cloud.google.com/docs/authentication/application-default-credentials> describes): `GOOGLE_CLOUD_PROJECT`, then the key file's
/// `project_id`, then the metadata server.
///
/// The configuration requires `project_id` for every project today; this is the building
/// block for the places that will not (e.g. `get` with a bare secret id).
package enum ProjectIDDiscovery {
    /// The variable Google's libraries read first.
    package static let variable = "GOOGLE_CLOUD_PROJECT"

    /// Finds the project id.
    ///
    /// - Parameters:
    ///   - credentials: the credentials in use: a key file (`service_account_file`,
    ///     `service_account_json`, or the file Application Default Credentials find) gives
    ///     its `project_id`; `metadata`, or `adc` without a file, asks the metadata server;
    ///     `impersonate` looks at its source.
    ///   - environment: the process environment.
    ///   - httpClient, logger, clock: for the metadata server.
    /// - Returns: the project id and where it came from, e.g. `GOOGLE_CLOUD_PROJECT`.
    /// - Throws: ``AuthenticationError`` (`.configuration`) listing what was tried when
    ///   nothing names a project, or the metadata server's error.
    package static func discover(
        credentials: CredentialsConfiguration, environment: [String: String],
        httpClient: HTTPClient, logger: Logger, clock: SecretManagerClock = .continuous
    ) async throws -> (projectID: String, origin: String) {
        if let value = environment[variable]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
            return (value, variable)
        }
        var tried = ["\(variable) is unset"]
        var credentials = credentials
        while case .impersonate(_, _, _, let source) = credentials { credentials = source }
        var askMetadata = false
        switch credentials {
        case .serviceAccountFile(let path):
            let origin = "service account key file \(path)"
            if let id = try GoogleCredentialsFile.load(path: path, origin: origin).projectID { return (id, origin) }
            tried.append("\(origin) has no project_id")
        case .serviceAccountJSON(let name):
            let origin = "environment variable \(name)"
            if let json = environment[name], !json.isEmpty,
                let id = try GoogleCredentialsFile.parse(Array(json.utf8), origin: origin).projectID
            {
                return (id, origin)
            }
            tried.append("\(origin) holds no key with a project_id")
        case .applicationDefault:
            switch try ApplicationDefaultCredentials.locate(environment: environment) {
            case .file(let file, let origin):
                if let id = file.projectID { return (id, origin) }
                tried.append("\(origin) has no project_id")
            case .metadataServer(let steps):
                tried += steps
                askMetadata = true
            }
        case .metadata:
            askMetadata = true
        case .accessTokenEnvironment(let name):
            tried.append("a token in \(name) names no project")
        case .impersonate:
            break
        }
        if askMetadata {
            let transport = AuthHTTPTransport(httpClient: httpClient, logger: logger, clock: clock)
            let metadata = MetadataServerClient(environment: environment, transport: transport)
            do {
                return (try await metadata.projectID(), metadata.source)
            } catch let error as AuthenticationError {
                // The probe's messages name the server already.
                tried.append(error.message.contains(metadata.host) ? error.message : "\(metadata.source): \(error.message)")
            }
        }
        throw AuthenticationError(
            source: "project id discovery",
            message: "no project id found. " + CredentialSearch.sentences(tried) + " Set \(variable) or project_id",
            kind: .configuration)
    }
}
