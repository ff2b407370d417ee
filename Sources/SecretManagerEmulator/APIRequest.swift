/// One routed Secret Manager API request, as the store handles it.
struct APIRequest: Sendable {
    /// The method the route names.
    var method: EmulatorMethod
    /// The parsed path (segments already validated).
    var path: ResourcePath
    /// The URL query.
    var query: QueryParameters
    /// The request body, possibly empty.
    var body: [UInt8]
    /// Whether an `access` answer must carry a wrong checksum (an injected fault).
    var wrongChecksum = false
}
