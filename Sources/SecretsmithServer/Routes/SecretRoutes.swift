import Foundation
import Hummingbird
import Secretsmith

extension SecretServer {
    // MARK: Google's REST v1

    /// `GET /v1/projects/P[/locations/L]/secrets/S/versions/V:access` (`access`) and
    /// `GET .../versions/V` (`get`), answered in Google's JSON shapes.
    ///
    /// The project is matched to the configuration by `project_id` as written there (an
    /// id, or a number when the configuration gives the number), the location by the
    /// project's effective `location` (none for the global path), the secret by its
    /// `secret_id` (or, in a project with `allow_undeclared: true`, any valid id). When
    /// several environments declare the project, the first (in file order) whose
    /// coordinates the policy lets the caller read is used. A request that matches nothing
    /// the caller may read is answered as Google answers a resource the caller cannot see:
    /// 403 `PERMISSION_DENIED`, "... (or it may not exist)".
    ///
    /// `name` in the answers carries the project as requested (Google's own carries the
    /// project number) and the resolved version number.
    func googleVersion(_ request: Request, context: ServeRequestContext, access: Bool) async throws -> Response {
        func capture(_ name: String) throws -> String? {
            guard let raw = context.parameters.get(name) else { return nil }
            guard let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
                throw ServeError.invalidArgument("The resource name in the path is malformed.")
            }
            return decoded
        }
        guard let project = try capture("project"), let secretID = try capture("secret"), let version = try capture("version")
        else { throw ServeError.invalidArgument("The resource name in the path is malformed.") }
        let location = try capture("location")
        let parent = "projects/\(project)" + (location.map { "/locations/\($0)" } ?? "") + "/secrets/\(secretID)"
        let resource = "\(parent)/versions/\(version)"
        context.audit.update { $0.resource = ObservingMiddleware.printable(resource) }
        guard SecretReference.isValidSecretID(secretID), SecretReference.isValidVersion(version),
            !project.contains("/"), location.map(ConfigurationNames.isValidLocation) ?? true
        else {
            throw ServeError.invalidArgument(
                "The resource name \(ObservingMiddleware.printable(resource)) is not a valid secret version name.")
        }
        let principal = try principal(context)
        let permission = access ? "secretmanager.versions.access" : "secretmanager.versions.get"
        let candidates = locate(projectID: project, location: location, secretID: secretID, version: version)
        guard let match = candidates.first(where: { candidate in
            policy.allows(
                principal, environment: candidate.reference.environment ?? "", project: candidate.reference.project,
                secret: candidate.reference.secret)
        }) else {
            let route = access ? "access" : "get"
            metrics.recordPolicyDenial(route: route)
            context.audit.update {
                $0.refusal = candidates.isEmpty ? "no environment declares the resource" : "policy denies every matching reference"
            }
            throw ServeError.permissionDenied(permission: permission, resource: ObservingMiddleware.printable(resource))
        }
        let (reference, secret) = (match.reference, match.secret)
        context.audit.update { $0.reference = reference.description }
        if access {
            let result = try await manager.access(secret, reference: reference.description)
            let number = result.value.version.map(String.init) ?? version
            context.audit.update {
                $0.version = number
                $0.cache = result.cache.rawValue
            }
            let bytes = result.value.bytes
            var json = "{\"name\":\(ServeJSON.quoted("\(parent)/versions/\(number)")),\"payload\":{"
            json += "\"data\":\"\(Data(bytes).base64EncodedString())\",\"dataCrc32c\":\"\(CRC32C.checksum(bytes))\"}}"
            return ServeResponse.bytes(Array(json.utf8), contentType: ServeResponse.jsonContentType)
        }
        let metadata = try await manager.metadata(secret)
        let number = metadata.versionNumber.map(String.init) ?? version
        context.audit.update { $0.version = number }
        var json = "{\"name\":\(ServeJSON.quoted("\(parent)/versions/\(number)"))"
        if let createTime = metadata.createTime { json += ",\"createTime\":\(ServeJSON.quoted(createTime))" }
        json += ",\"state\":\(ServeJSON.quoted(metadata.state.rawValue))"
        if let etag = metadata.etag { json += ",\"etag\":\(ServeJSON.quoted(etag))" }
        json += "}"
        return ServeResponse.bytes(Array(json.utf8), contentType: ServeResponse.jsonContentType)
    }

    /// Every (reference, resolved secret) the configuration declares for a Google resource
    /// name, in file order.
    func locate(
        projectID: String, location: String?, secretID: String, version: String
    ) -> [(reference: SecretReference, secret: SecretConfig)] {
        var found: [(SecretReference, SecretConfig)] = []
        for environment in configuration.environments where environment.variableError == nil {
            for project in environment.projects where project.projectID == projectID {
                let name: String
                if let declared = project.secrets.first(where: { $0.secretID == secretID }) {
                    name = declared.name
                } else if project.allowUndeclared, project.secret(named: secretID) == nil {
                    name = secretID
                } else {
                    continue
                }
                let reference = SecretReference(
                    environment: environment.name, project: project.alias, secret: name, version: version)
                guard let secret = try? configuration.resolve(reference, activeEnvironment: environment.name),
                    secret.location == location
                else { continue }
                found.append((reference, secret))
            }
        }
        return found
    }

    // MARK: secretsmith's own

    /// `GET /v1/references/ENV/PROJECT/SECRET[@VERSION][#POINTER]` (`@` and `#` percent-encoded
    /// as `%40` and `%23`): the payload, or the JSON value the pointer selects, as
    /// `application/octet-stream`, with the version number in `X-Secretsmith-Version`.
    func reference(_ request: Request, context: ServeRequestContext) async throws -> Response {
        let path = request.uri.path
        let prefix = "/v1/references/"
        guard path.hasPrefix(prefix), let text = String(path.dropFirst(prefix.count)).removingPercentEncoding else {
            throw ServeError.invalidArgument("The reference in the path is not validly percent-encoded.")
        }
        context.audit.update { $0.resource = ObservingMiddleware.printable(text) }
        let reference: SecretReference
        do {
            reference = try SecretReference.parse(text)
        } catch {
            throw ServeError.invalidArgument(ServeError.sentence(error.description))
        }
        guard let environment = reference.environment else {
            throw ServeError.invalidArgument(
                "The reference \"\(reference)\" names no environment; write ENV/PROJECT/SECRET.")
        }
        let principal = try principal(context)
        try checkPolicy(
            principal, environment: environment, project: reference.project, secret: reference.secret,
            route: "reference", audit: context.audit,
            denial: ServeError(
                httpStatus: 403, status: "PERMISSION_DENIED",
                message: "Permission denied for reference \"\(environment)/\(reference.project)/\(reference.secret)\" (or it may not exist)."))
        context.audit.update { $0.reference = reference.description }
        let secret = try configuration.resolve(reference, activeEnvironment: environment)
        let result = try await manager.access(secret, reference: reference.description)
        var value = result.value
        if let pointer = reference.pointer {
            value = SecretValue(bytes: try pointer.evaluate(in: value.bytes), version: value.version)
        }
        context.audit.update {
            $0.version = value.version.map(String.init)
            $0.cache = result.cache.rawValue
        }
        var response = ServeResponse.bytes(value.bytes, contentType: "application/octet-stream")
        if let version = value.version { response.headers[Self.versionHeader] = String(version) }
        return response
    }

    /// `X-Secretsmith-Version`: the version number a reference read.
    static let versionHeader = HTTPFields.Element.Name("X-Secretsmith-Version")!

    /// `POST /v1/outputs/NAME:render[?environment=E]`: the output rendered in memory (never
    /// written to disk), all or nothing. Every reference the output uses must be allowed.
    func render(_ request: Request, context: ServeRequestContext) async throws -> Response {
        guard let raw = context.parameters.get("output"), let name = raw.removingPercentEncoding, !name.isEmpty else {
            throw ServeError.invalidArgument("The output name in the path is malformed.")
        }
        let environment = request.uri.queryParameters.get("environment").flatMap { $0.isEmpty ? nil : $0 }
        context.audit.update { $0.resource = ObservingMiddleware.printable("outputs/\(name)") + (environment.map { "?environment=\($0)" } ?? "") }
        let principal = try principal(context)
        guard let output = configuration.output(named: name) else {
            throw ServeError.notFound("Output \"\(ObservingMiddleware.printable(name))\" is not declared under outputs.")
        }
        if let environment, configuration.environment(named: environment) == nil {
            throw ServeError.notFound("Environment \"\(ObservingMiddleware.printable(environment))\" is not declared under environments.")
        }
        let audit = context.audit
        let outcome = try await pipeline.run(
            RenderPipeline.Options(environment: environment, only: [name], destination: .memory)
        ) { plan in
            for planned in plan.outputs {
                for reference in planned.references {
                    let secret = reference.secret
                    try self.checkPolicy(
                        principal, environment: secret.environment, project: secret.projectAlias, secret: secret.secretName,
                        route: "render", audit: audit,
                        denial: ServeError(
                            httpStatus: 403, status: "PERMISSION_DENIED",
                            message: "Permission denied: output \"\(name)\" uses \"\(secret.environment)/\(secret.projectAlias)/\(secret.secretName)\", which \(principal.name) may not read."))
                }
            }
        }
        guard let rendered = outcome.rendered.first else {
            throw ServeError.notFound("Output \"\(name)\" rendered nothing.")
        }
        let versions = rendered.resolvedVersions.values.map(String.init).sorted().joined(separator: ",")
        audit.update { $0.version = versions.isEmpty ? nil : versions }
        let contentType: String
        switch output.format {
        case .json: contentType = "application/json"
        case .dotenv, .shell, .dockerEnvFile: contentType = "text/plain; charset=utf-8"
        case .template: contentType = "application/octet-stream"
        }
        return ServeResponse.bytes(rendered.bytes, contentType: contentType)
    }
}

/// Name rules the server shares with the configuration.
enum ConfigurationNames {
    /// Lowercase letters, digits and `-`, at most 63 characters (a Google Cloud location).
    static func isValidLocation(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 63
            && text.utf8.allSatisfy {
                ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || $0 == UInt8(ascii: "-")
            }
    }
}
