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
        guard let project = context.parameters.get("project"), let secretID = context.parameters.get("secret"),
            let version = context.parameters.get("version")
        else { throw ServeError.invalidArgument("The resource name in the path is malformed.") }
        let key = ServeMemo.GoogleKey(
            project: project, location: context.parameters.get("location"), secret: secretID, version: version)
        let resource: ServeMemo.GoogleResource
        do {
            resource = try memo.googleResource(key) { () throws(ServeError) in try self.googleResource(key) }
        } catch {
            if let name = Self.printableResourceName(key) { context.audit.update { $0.resource = name } }
            throw error
        }
        context.audit.update { $0.resource = resource.printableResource }
        let principal = try principal(context)
        let permission = access ? "secretmanager.versions.access" : "secretmanager.versions.get"
        guard let match = resource.candidates.first(where: { candidate in
            allows(
                principal, environment: candidate.reference.environment ?? "", project: candidate.reference.project,
                secret: candidate.reference.secret)
        }) else {
            let route = access ? "access" : "get"
            metrics.recordPolicyDenial(route: route)
            context.audit.update {
                $0.refusal = resource.candidates.isEmpty ? "no environment declares the resource" : "policy denies every matching reference"
            }
            throw ServeError.permissionDenied(permission: permission, resource: resource.printableResource)
        }
        context.audit.update { $0.reference = match.reference.description }
        if access {
            let route = try match.route ?? manager.route(for: match.reference, activeEnvironment: match.reference.environment)
            let result = try await manager.access(route: route)
            let number = result.value.version.map(String.init) ?? resource.version
            context.audit.update {
                $0.version = number
                $0.cache = result.cache.rawValue
            }
            return ServeResponse.bytes(resource.accessBody(for: result.value, number: number), contentType: ServeResponse.jsonContentType)
        }
        let metadata = try await manager.metadata(match.secret)
        let number = metadata.versionNumber.map(String.init) ?? resource.version
        context.audit.update { $0.version = number }
        var json = "{\"name\":\(ServeJSON.quoted("\(resource.parent)/versions/\(number)"))"
        if let createTime = metadata.createTime { json += ",\"createTime\":\(ServeJSON.quoted(createTime))" }
        json += ",\"state\":\(ServeJSON.quoted(metadata.state.rawValue))"
        if let etag = metadata.etag { json += ",\"etag\":\(ServeJSON.quoted(etag))" }
        json += "}"
        return ServeResponse.bytes(Array(json.utf8), contentType: ServeResponse.jsonContentType)
    }

    /// A Google resource name from a path's captures: decoded, validated and matched to the
    /// configuration (``locate(projectID:location:secretID:version:)``).
    ///
    /// - Throws: ``ServeError`` `INVALID_ARGUMENT` for a malformed or invalid name.
    func googleResource(_ key: ServeMemo.GoogleKey) throws(ServeError) -> ServeMemo.GoogleResource {
        func decode(_ raw: String) throws(ServeError) -> String {
            guard let decoded = PathText.decoded(raw), !decoded.isEmpty else {
                throw ServeError.invalidArgument("The resource name in the path is malformed.")
            }
            return decoded
        }
        let project = try decode(key.project)
        let secretID = try decode(key.secret)
        let version = try decode(key.version)
        var location: String?
        if let raw = key.location { location = try decode(raw) }
        let parent = "projects/\(project)" + (location.map { "/locations/\($0)" } ?? "") + "/secrets/\(secretID)"
        let resource = "\(parent)/versions/\(version)"
        guard SecretReference.isValidSecretID(secretID), SecretReference.isValidVersion(version),
            !project.contains("/"), location.map(ConfigurationNames.isValidLocation) ?? true
        else {
            throw ServeError.invalidArgument(
                "The resource name \(ObservingMiddleware.printable(resource)) is not a valid secret version name.")
        }
        let candidates = locate(projectID: project, location: location, secretID: secretID, version: version)
            .map { found in
                ServeMemo.GoogleResource.Candidate(
                    reference: found.reference, secret: found.secret,
                    route: try? manager.route(for: found.reference, activeEnvironment: found.reference.environment))
            }
        return ServeMemo.GoogleResource(parent: parent, version: version, resource: resource, candidates: candidates)
    }

    /// The resource name of a path's captures for the audit event, when they decode.
    static func printableResourceName(_ key: ServeMemo.GoogleKey) -> String? {
        guard let project = PathText.decoded(key.project), let secret = PathText.decoded(key.secret),
            let version = PathText.decoded(key.version)
        else { return nil }
        let location = key.location.flatMap(PathText.decoded)
        if key.location != nil && location == nil { return nil }
        return ObservingMiddleware.printable(
            "projects/\(project)" + (location.map { "/locations/\($0)" } ?? "") + "/secrets/\(secret)/versions/\(version)")
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
        let parsed: ServeMemo.ReferencePath
        do {
            parsed = try memo.referencePath(path) { () throws(ServeError) in
                var parsed = try Self.referencePath(path)
                parsed.route = try? manager.route(for: parsed.reference, activeEnvironment: parsed.environment)
                return parsed
            }
        } catch {
            if path.hasPrefix(Self.referencePrefix), let text = PathText.decoded(String(path.dropFirst(Self.referencePrefix.count))) {
                context.audit.update { $0.resource = ObservingMiddleware.printable(text) }
            }
            throw error
        }
        context.audit.update { $0.resource = parsed.printable }
        let principal = try principal(context)
        let reference = parsed.reference
        let environment = parsed.environment
        try checkPolicy(
            principal, environment: environment, project: reference.project, secret: reference.secret,
            route: "reference", audit: context.audit,
            denial: ServeError(
                httpStatus: 403, status: "PERMISSION_DENIED",
                message: "Permission denied for reference \"\(environment)/\(reference.project)/\(reference.secret)\" (or it may not exist)."))
        context.audit.update { $0.reference = parsed.description }
        let route = try parsed.route ?? manager.route(for: reference, activeEnvironment: environment)
        let result = try await manager.access(route: route)
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

    /// A reference path's parts (`/v1/references/` and the percent-encoded reference).
    ///
    /// - Throws: ``ServeError`` `INVALID_ARGUMENT` for a malformed encoding, an invalid
    ///   reference or one without an environment.
    static let referencePrefix = "/v1/references/"

    static func referencePath(_ path: String) throws(ServeError) -> ServeMemo.ReferencePath {
        let prefix = referencePrefix
        guard path.hasPrefix(prefix), let text = PathText.decoded(String(path.dropFirst(prefix.count))) else {
            throw ServeError.invalidArgument("The reference in the path is not validly percent-encoded.")
        }
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
        return ServeMemo.ReferencePath(
            text: text, printable: ObservingMiddleware.printable(text), reference: reference, environment: environment,
            description: reference.description)
    }

    /// `X-Secretsmith-Version`: the version number a reference read.
    static let versionHeader = HTTPFields.Element.Name("X-Secretsmith-Version")!

    /// `POST /v1/outputs/NAME:render[?environment=E]`: the output rendered in memory (never
    /// written to disk), all or nothing. Every reference the output uses must be allowed.
    ///
    /// An output or environment the configuration does not declare is refused with the same
    /// 403 `PERMISSION_DENIED` and the same words as an output the caller may not read, so
    /// that an answer never tells which outputs exist (the audit event says which it was).
    /// The caller's permission is decided before anything else about the output is told:
    /// an output that cannot be planned (no active environment, an invalid template) or a
    /// query parameter other than `environment` is a 400 only for a caller who may render
    /// it (``mayRender(_:output:environment:audit:)``). `environment` given twice is a 400.
    func render(_ request: Request, context: ServeRequestContext) async throws -> Response {
        guard let raw = context.parameters.get("output"), let name = raw.removingPercentEncoding, !name.isEmpty else {
            throw ServeError.invalidArgument("The output name in the path is malformed.")
        }
        let query = request.uri.queryParameters
        let given = query[values: "environment"]
        if given.count > 1 {
            throw ServeError.invalidArgument(
                "The query parameter \"environment\" is given \(given.count) times; give it at most once.")
        }
        let environment = given.first.flatMap { $0.isEmpty ? nil : String($0) }
        context.audit.update { $0.resource = ObservingMiddleware.printable("outputs/\(name)") + (environment.map { "?environment=\($0)" } ?? "") }
        let principal = try principal(context)
        let denial = ServeError(
            httpStatus: 403, status: "PERMISSION_DENIED",
            message: "Permission denied for output \"\(ObservingMiddleware.printable(name))\""
                + (environment.map { " in environment \"\(ObservingMiddleware.printable($0))\"" } ?? "")
                + " (or it may not exist).")
        guard let output = configuration.output(named: name) else {
            metrics.recordPolicyDenial(route: "render")
            context.audit.update { $0.refusal = "no output is declared under this name" }
            throw denial
        }
        if let environment, configuration.environment(named: environment) == nil {
            metrics.recordPolicyDenial(route: "render")
            context.audit.update { $0.refusal = "no environment is declared under this name" }
            throw denial
        }
        let audit = context.audit
        if let unknown = query.first(where: { $0.key != "environment" })?.key {
            guard mayRender(principal, output: output, environment: environment, audit: audit) else { throw denial }
            throw ServeError.invalidArgument(
                "The query parameter \"\(ObservingMiddleware.printable(String(unknown)))\" is not known; "
                    + "this route takes only \"environment\" (lowercase).")
        }
        // Set once the plan is made and every reference it uses was allowed: a failure
        // before that is told only to a caller who may render the output.
        var planChecked = false
        let outcome: RenderPipeline.Outcome
        do {
            outcome = try await pipeline.run(
                RenderPipeline.Options(environment: environment, only: [name], destination: .memory)
            ) { plan in
                for planned in plan.outputs {
                    for reference in planned.firstUses {
                        let secret = reference.secret
                        try self.checkPolicy(
                            principal, environment: secret.environment, project: secret.projectAlias, secret: secret.secretName,
                            route: "render", audit: audit, denial: denial)
                    }
                }
                planChecked = true
            }
        } catch let error as ServeError {
            throw error
        } catch {
            if !planChecked, !mayRender(principal, output: output, environment: environment, audit: audit) { throw denial }
            throw Self.renderError(error, output: name)
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

    /// Whether `principal` may render `output` at all, asked only when the render cannot
    /// say (its plan failed, or the request is malformed): some rule must allow the caller
    /// something in the environment the output renders in (the given one, the output's
    /// own, else any declared environment), and every reference that could be planned
    /// must be allowed. Records the refusal (metric, audit) when not.
    func mayRender(_ principal: Principal, output: OutputConfiguration, environment: String?, audit: AuditRecord) -> Bool {
        let named = [environment, output.environment].compactMap { $0 }
        let candidates = named.isEmpty ? configuration.environmentNames : named
        guard candidates.contains(where: { policy.allowsSomething(principal, inEnvironment: $0) }) else {
            metrics.recordPolicyDenial(route: "render")
            audit.update { $0.refusal = "policy allows nothing in \(candidates.joined(separator: ", "))" }
            return false
        }
        let (plan, _) = RenderPlan.collect(configuration: configuration, environment: environment, only: [output.name])
        for planned in plan.outputs {
            for reference in planned.firstUses {
                let secret = reference.secret
                if !allows(principal, environment: secret.environment, project: secret.projectAlias, secret: secret.secretName) {
                    metrics.recordPolicyDenial(route: "render")
                    audit.update { $0.refusal = "policy denies \(secret.environment)/\(secret.projectAlias)/\(secret.secretName)" }
                    return false
                }
            }
        }
        return true
    }

    /// The answer to a failed render of an output the caller may render: each problem is
    /// mapped as the references route maps its error (503 for the service's own
    /// credentials or the upstream, 403 only for a refusal, 404, 400), the most severe
    /// wins, and the message is that problem's alone, without the configuration's or a
    /// template's path and without the list of references.
    static func renderError(_ error: any Error, output name: String) -> ServeError {
        guard let failure = error as? RenderFailure, !failure.problems.isEmpty else { return ServeError.from(error) }
        func mapped(_ problem: RenderProblem) -> ServeError {
            if let template = problem.error as? TemplateError {
                return ServeError(
                    httpStatus: 400, status: "FAILED_PRECONDITION",
                    message: "The template is invalid at line \(template.mark.line), column \(template.mark.column): "
                        + ServeError.sentence(template.message))
            }
            var answer = ServeError.from(problem.error)
            if let reference = problem.reference {
                answer.message = "Reference \"\(ObservingMiddleware.printable(reference))\": " + answer.message
            }
            return answer
        }
        let answers = failure.problems.map(mapped)
        let severity: [Int: Int] = [503: 7, 504: 6, 500: 5, 429: 4, 403: 3, 404: 2, 400: 1]
        var worst = answers.max { (severity[$0.httpStatus] ?? 0) < (severity[$1.httpStatus] ?? 0) } ?? answers[0]
        let others = answers.count - 1
        // The library's advice names the CLI's ways to choose an environment; here it is
        // the query parameter.
        let advice = worst.message
            .replacingOccurrences(of: "pass --env, set SECRETSMITH_ENV, or", with: "pass ?environment=ENV or")
            .replacingOccurrences(of: "pass --env or set SECRETSMITH_ENV", with: "pass ?environment=ENV")
        worst.message = "Output \"\(ObservingMiddleware.printable(name))\" could not be rendered. " + advice
            + (others > 0 ? " \(others) other problem\(others == 1 ? " was" : "s were") found." : "")
        return worst
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
