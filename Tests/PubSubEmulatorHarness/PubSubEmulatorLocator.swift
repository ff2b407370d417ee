import Foundation

/// Finds Google's Pub/Sub emulator and the Java runtime it needs.
package enum PubSubEmulatorLocator {
    /// The Debian package that installs the emulator (from Google's apt repository).
    package static let packageName = "google-cloud-cli-pubsub-emulator"

    /// The emulator's launcher inside a Google Cloud SDK installation.
    static let relativePath = "platform/pubsub-emulator/bin/cloud-pubsub-emulator"

    /// Where the Google Cloud SDK is installed by the Debian packages and the installers.
    package static let standardRoots = ["/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/opt/google-cloud-sdk"]

    /// The launcher's path.
    ///
    /// Looked for under `$CLOUDSDK_ROOT`, the SDK that the `gcloud` on `PATH` belongs to,
    /// and `standardRoots`.
    ///
    /// - Throws: ``PubSubEmulatorUnavailable`` naming the package, or Java when no `java`
    ///   is found (`$JAVA_HOME/bin/java` or on `PATH`).
    package static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment, standardRoots: [String] = standardRoots
    ) throws -> String {
        var roots: [String] = []
        if let root = environment["CLOUDSDK_ROOT"], !root.isEmpty { roots.append(root) }
        if let gcloud = which("gcloud", environment: environment) {
            // .../google-cloud-sdk/bin/gcloud, often through a symbolic link in /usr/bin.
            let resolved = URL(fileURLWithPath: gcloud).resolvingSymlinksInPath()
            roots.append(resolved.deletingLastPathComponent().deletingLastPathComponent().path)
        }
        roots += standardRoots
        guard
            let launcher = roots.map({ "\($0)/\(relativePath)" })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw PubSubEmulatorUnavailable(
                reason: "Google's Pub/Sub emulator is not installed (Debian package \(packageName) from "
                    + "Google's apt repository; looked for \(relativePath) under "
                    + (roots.isEmpty ? "no directory)" : "\(roots.joined(separator: ", ")))"))
        }
        let javaHome = environment["JAVA_HOME"].map { "\($0)/bin/java" }
        guard javaHome.map(FileManager.default.isExecutableFile(atPath:)) == true
            || which("java", environment: environment) != nil
        else {
            throw PubSubEmulatorUnavailable(
                reason: "Google's Pub/Sub emulator (\(packageName)) is installed but needs a Java runtime, "
                    + "and no java was found (JAVA_HOME or PATH; Debian: default-jre-headless)")
        }
        return launcher
    }

    /// The first executable `name` on `PATH`.
    static func which(_ name: String, environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
