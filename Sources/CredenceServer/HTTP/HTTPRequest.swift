/// One HTTP request as the web server handed it over, independent of FastCGI:
/// the router and the endpoints take this value, so tests call them without a
/// socket. Built from CGI parameters by `init(cgiParameters:body:)`.
public struct HTTPRequest: Sendable {
    /// The request method, upper case (`GET`, `POST`).
    public var method: String
    /// The request path as sent, percent-encoded, without the query (`/register/abc`).
    public var path: String
    /// The raw query string, without `?` (empty when none).
    public var query: String
    /// Request headers by lower-case name (`authorization`, `content-type`).
    public var headers: [String: String]
    /// The request body (already bounded by the transport).
    public var body: [UInt8]
    /// The client certificate the web server took from its own TLS session, if any.
    public var clientCertificate: ClientCertificateParameter?
    /// The peer address the web server saw, for the log.
    public var remoteAddress: String?

    /// Creates a request value directly (tests, other transports).
    public init(
        method: String,
        path: String,
        query: String = "",
        headers: [String: String] = [:],
        body: [UInt8] = [],
        clientCertificate: ClientCertificateParameter? = nil,
        remoteAddress: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientCertificate = clientCertificate
        self.remoteAddress = remoteAddress
    }

    /// Builds a request from CGI/FastCGI parameters (RFC 3875 §4.1). The path
    /// comes from `REQUEST_URI` (which nginx and Apache both send unmodified),
    /// headers from `HTTP_*`, `CONTENT_TYPE` and `CONTENT_LENGTH`. The client
    /// certificate is read only from `SSL_CLIENT_CERT`/`SSL_CLIENT_VERIFY`,
    /// which the web server sets from its TLS session; a client cannot forge
    /// them with a header, because headers arrive as `HTTP_*`.
    public init(cgiParameters parameters: [String: String], body: [UInt8]) {
        self.method = parameters["REQUEST_METHOD"] ?? ""
        let uri = parameters["REQUEST_URI"] ?? (parameters["SCRIPT_NAME"] ?? "") + (parameters["PATH_INFO"] ?? "")
        if let questionMark = uri.firstIndex(of: "?") {
            self.path = String(uri[..<questionMark])
        } else {
            self.path = uri
        }
        self.query = parameters["QUERY_STRING"] ?? ""
        var headers: [String: String] = [:]
        headers.reserveCapacity(parameters.count)
        for (name, value) in parameters where name.utf8.starts(with: "HTTP_".utf8) {
            headers[Self.headerName(cgiName: name)] = value
        }
        if let contentType = parameters["CONTENT_TYPE"], !contentType.isEmpty { headers["content-type"] = contentType }
        if let contentLength = parameters["CONTENT_LENGTH"], !contentLength.isEmpty {
            headers["content-length"] = contentLength
        }
        self.headers = headers
        self.body = body
        self.clientCertificate = ClientCertificateParameter(
            certificate: parameters["SSL_CLIENT_CERT"],
            verify: parameters["SSL_CLIENT_VERIFY"]
        )
        self.remoteAddress = parameters["REMOTE_ADDR"]
    }

    /// `HTTP_USER_AGENT` → `user-agent`: byte by byte for ASCII (every name a web server
    /// sends), through `lowercased()` otherwise.
    static func headerName(cgiName name: String) -> String {
        var name = name
        return name.withUTF8 { bytes -> String in
            let rest = UnsafeBufferPointer(rebasing: bytes.dropFirst(5))
            for byte in rest where byte >= 0x80 {
                return String(decoding: rest, as: UTF8.self).lowercased().replacingUnderscores()
            }
            return String(unsafeUninitializedCapacity: rest.count) { output in
                for (index, byte) in rest.enumerated() {
                    switch byte {
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): output[index] = byte + 32
                    case UInt8(ascii: "_"): output[index] = UInt8(ascii: "-")
                    default: output[index] = byte
                    }
                }
                return rest.count
            }
        }
    }

    /// The value of a header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The media type of the body without parameters, lower case (`application/json`).
    public var mediaType: String? {
        guard let contentType = header("content-type") else { return nil }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? contentType
        return type.trimmingWhitespace().lowercased()
    }

    /// The scheme of the `Authorization` header (`Basic`, `Bearer`), for logs; never the credential.
    public var authorizationScheme: String? {
        guard let value = header("authorization"), !value.isEmpty else { return nil }
        let scheme = value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        // Log only well-known schemes verbatim; anything else could be a pasted secret.
        switch scheme.lowercased() {
        case "basic": return "Basic"
        case "bearer": return "Bearer"
        case "dpop": return "DPoP"
        default: return "other"
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }

    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}
