import CredenceCore

/// One HTTP response, independent of FastCGI: status, ordered headers and body.
public struct HTTPResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers in order.
    public var headers: [HTTPHeaderField]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [HTTPHeaderField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header by case-insensitive name.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first { $0.name.lowercased() == lowered }?.value
    }

    /// Returns a copy with a header added.
    public func adding(header name: String, value: String) -> HTTPResponse {
        var copy = self
        copy.headers.append(HTTPHeaderField(name: name, value: value))
        return copy
    }
}
