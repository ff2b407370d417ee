import Foundation

/// Application Default Credentials: the search Google's libraries make for credentials
/// when none are named
/// (<https://cloud.google.com/docs/authentication/application-default-credentials>).
///
/// In order: the file `GOOGLE_APPLICATION_CREDENTIALS` names (it must exist when set); the
/// gcloud file `$CLOUDSDK_CONFIG/application_default_credentials.json` or
/// `~/.config/gcloud/application_default_credentials.json`; then the metadata server.
package enum ApplicationDefaultCredentials {
    /// What the search found.
    package enum Found: Sendable {
        /// A credentials file, and how to name it (`GOOGLE_APPLICATION_CREDENTIALS file PATH`).
        case file(GoogleCredentialsFile, origin: String)
        /// No file: the metadata server is the last resort. `tried` lists the steps that
        /// found nothing, for the error if the metadata server is absent too.
        case metadataServer(tried: [String])
    }

    /// The variable naming a credentials file.
    package static let fileVariable = "GOOGLE_APPLICATION_CREDENTIALS"

    /// Runs the file steps of the search. Reads files; makes no network call.
    ///
    /// - Parameter environment: the process environment (`GOOGLE_APPLICATION_CREDENTIALS`,
    ///   `CLOUDSDK_CONFIG`, `HOME`).
    /// - Throws: ``AuthenticationError`` when `GOOGLE_APPLICATION_CREDENTIALS` names a file
    ///   that is missing (`.permission`) or unusable (`.configuration`), or the gcloud file
    ///   is unusable; a missing gcloud file is not an error (the search goes on).
    package static func locate(environment: [String: String]) throws -> Found {
        var tried: [String] = []
        if let path = environment[fileVariable], !path.isEmpty {
            let origin = "\(fileVariable) file \(path)"
            return .file(try GoogleCredentialsFile.load(path: path, origin: origin), origin: origin)
        }
        tried.append("\(fileVariable) is unset")
        if let path = gcloudFilePath(environment: environment) {
            if FileManager.default.fileExists(atPath: path) {
                let origin = "gcloud credentials file \(path)"
                return .file(try GoogleCredentialsFile.load(path: path, origin: origin), origin: origin)
            }
            tried.append("there is no gcloud credentials file at \(path)")
        } else {
            tried.append("there is no gcloud credentials file to look for, as neither CLOUDSDK_CONFIG nor HOME is set")
        }
        return .metadataServer(tried: tried)
    }

    /// The credentials file the file steps of ``locate(environment:)`` read: the file
    /// `GOOGLE_APPLICATION_CREDENTIALS` names when it is set, else the gcloud file
    /// (``gcloudFilePath(environment:)``, whether or not it exists yet); nil when neither
    /// can be named. Reads nothing.
    package static func credentialsFilePath(environment: [String: String]) -> String? {
        if let path = environment[fileVariable], !path.isEmpty { return path }
        return gcloudFilePath(environment: environment)
    }

    /// `$CLOUDSDK_CONFIG/application_default_credentials.json`, else
    /// `$HOME/.config/gcloud/application_default_credentials.json`.
    package static func gcloudFilePath(environment: [String: String]) -> String? {
        if let directory = environment["CLOUDSDK_CONFIG"], !directory.isEmpty {
            return (directory as NSString).appendingPathComponent("application_default_credentials.json")
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return (home as NSString).appendingPathComponent(".config/gcloud/application_default_credentials.json")
    }
}
