/// One FastCGI request as the handler sees it: the CGI parameters the web server sent
/// (RFC 3875 §4.1 meta-variables and `HTTP_*` headers) and the complete body.
///
/// The server only builds this value when the request passed every check: parameters
/// within ``FastCGIServerConfiguration/maxParametersBytes``, a `REQUEST_METHOD`, a body of
/// exactly `CONTENT_LENGTH` bytes within ``FastCGIServerConfiguration/maxBodyBytes``.
public struct FastCGIRequest: Sendable {
    /// The parameters by name. Names and values are valid UTF-8; a name sent twice with
    /// different values made the request ``FastCGIRequestRejection/malformed(reason:)``.
    public var parameters: [String: String]
    /// The request body (FastCGI `FCGI_STDIN`), exactly `CONTENT_LENGTH` bytes.
    public var body: [UInt8]

    /// A request value; tests of handlers build these directly.
    public init(parameters: [String: String], body: [UInt8] = []) {
        self.parameters = parameters
        self.body = body
    }

    /// `REQUEST_METHOD` (RFC 3875 §4.1.12), always present on a request the server built.
    public var method: String { parameters["REQUEST_METHOD"] ?? "" }
}
