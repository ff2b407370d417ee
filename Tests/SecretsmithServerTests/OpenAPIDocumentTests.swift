import Foundation
import Hummingbird
import SecretsmithTestSupport
import Testing
import YAML

@testable import SecretsmithServer

/// docs/openapi.yaml against the server: every route the router registers is a documented
/// operation (or answers 405), and every documented operation reaches the route its
/// `x-secretsmith-route` names.
@Suite struct OpenAPIDocumentTests {
    /// One documented operation.
    struct Operation: CustomStringConvertible {
        var method: String
        var path: String
        var route: String
        var description: String { "\(method) \(path)" }

        /// A concrete path for the template: every `{parameter}` replaced by `sample`.
        var samplePath: String { path.replacingOccurrences(of: #"\{[^}/]+\}"#, with: "sample", options: .regularExpression) }

        /// Whether `concrete` is an instance of the template (a parameter is one path
        /// segment, or the part of one before a literal suffix such as `:access`, and holds no `:`).
        func matches(_ concrete: String) -> Bool {
            var pattern = "^"
            var rest = Substring(path)
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                pattern += NSRegularExpression.escapedPattern(for: String(rest[..<open])) + "[^/:]+"
                rest = rest[rest.index(after: close)...]
            }
            pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
            return concrete.range(of: pattern, options: .regularExpression) != nil
        }
    }

    static let documentPath = BuiltBinary.packageRoot.appendingPathComponent("docs/openapi.yaml").path

    /// The operations of the document's `paths`.
    static func operations() throws -> [Operation] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: documentPath)))
        let root = try #require(try YAMLParser.parse(bytes, file: documentPath))
        let paths = try #require(root["paths"]?.mappingPairs, "the document has no paths")
        var operations: [Operation] = []
        for pair in paths {
            let path = try #require(pair.key.scalarValue)
            for entry in try #require(pair.value.mappingPairs, "\(path) is not a mapping") {
                let method = try #require(entry.key.scalarValue)
                guard ["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(method) else { continue }
                let route = try #require(entry.value["x-secretsmith-route"]?.scalarValue, "\(method) \(path) names no x-secretsmith-route")
                operations.append(Operation(method: method.uppercased(), path: path, route: route))
            }
        }
        return operations
    }

    /// A concrete path the router's pattern matches: `{parameter}` as `sample`, `**` as three segments.
    static func samplePath(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: #"\{[^}/]+\}"#, with: "sample", options: .regularExpression)
            .replacingOccurrences(of: "**", with: "sample/sample/sample")
    }

    /// The route the audit log names for the last request.
    static func lastRoute(_ harness: ServeHarness) -> String? {
        harness.auditEvents.last?.metadata["route"].map { "\($0)" }
    }

    @Test func everyRouteTheServerRegistersIsDocumentedOrAnswers405() async throws {
        let operations = try Self.operations()
        try await withServer { harness in
            let routes = harness.server.makeRouter().routes
            #expect(routes.count > operations.count)
            var served: [String] = []
            for route in routes {
                let path = Self.samplePath(route.path.description)
                let answer = try await harness.send(route.method.rawValue, path)
                let documented = operations.filter { $0.method == route.method.rawValue && $0.matches(path) }
                if answer.status == 405 {
                    #expect(documented.isEmpty, "\(route) answers 405 but the document lists \(documented)")
                    #expect(answer.header("Allow")?.isEmpty == false, "\(route): 405 without Allow")
                    if route.method != .head { #expect(answer.errorStatus == "UNIMPLEMENTED") }
                    continue
                }
                served.append("\(route)")
                #expect(documented.count == 1, "\(route) (sent as \(route.method) \(path)) is not documented once: \(documented)")
                if let operation = documented.first {
                    #expect(Self.lastRoute(harness) == operation.route, "\(route): audit route \(Self.lastRoute(harness) ?? "none")")
                }
            }
            // Each documented operation is one served route.
            #expect(served.count == operations.count, "served \(served), documented \(operations)")
        }
    }

    @Test func everyDocumentedOperationReachesItsRoute() async throws {
        let operations = try Self.operations()
        #expect(operations.count == 10)
        try await withServer { harness in
            for operation in operations {
                let answer = try await harness.send(operation.method, operation.samplePath)
                #expect(answer.status != 405, "\(operation): \(answer.text)")
                #expect(!answer.text.contains("No API serves the path"), "\(operation): \(answer.text)")
                #expect(Self.lastRoute(harness) == operation.route, "\(operation): audit route \(Self.lastRoute(harness) ?? "none")")
            }
        }
    }

    @Test func aMethodAPathIsNotServedWithIs405WithAllow() async throws {
        try await withServer { harness in
            let trace = try await harness.send("TRACE", "/healthz", token: nil, guardHeader: false)
            #expect(trace.status == 405)
            #expect(trace.header("Allow") == "GET, HEAD")
            #expect(trace.errorStatus == "UNIMPLEMENTED")
            #expect(trace.header("Cache-Control") == "no-store")
            // Before the guard: no token, no SSRF header needed to learn the methods.
            let post = try await harness.send("POST", "/v1/references/dev/app/db-password", token: nil, guardHeader: false)
            #expect(post.status == 405)
            #expect(post.header("Allow") == "GET, HEAD")
            #expect(!post.text.contains(StandardSeed.sentinel))
            let get = try await harness.send("GET", "/v1/events/pubsub")
            #expect(get.status == 405)
            #expect(get.header("Allow") == "POST")
            let put = try await harness.send("PUT", "/v1/projects/p/secrets/s/versions/1:access")
            #expect(put.status == 405)
            #expect(put.header("Allow") == "GET, HEAD")
            // HEAD of a GET route is not refused as a method (RFC 9110 ties it to GET).
            let head = try await harness.send("HEAD", "/healthz", token: nil, guardHeader: false)
            #expect(head.status != 405)
            // A path the service does not serve stays 404.
            let unknown = try await harness.send("TRACE", "/nothing")
            #expect(unknown.status == 404)
            #expect(await harness.fixture.accessCalls() == 0)
        }
    }
}
