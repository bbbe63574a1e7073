/// What a handler answers: the server writes it as a CGI response (RFC 3875 §6.3: a
/// `Status` header, the headers, a blank line, the body) on FastCGI `FCGI_STDOUT`.
///
/// The server writes `Content-Length` itself from `body` (and drops one set by the
/// handler), and refuses header names or values that could split the response: such a
/// response is replaced by an empty 500 and logged. Answer a HEAD request as its GET: the
/// server sends that head, `Content-Length` included, without the body (RFC 9110 §9.3.2).
public struct FastCGIResponse: Sendable {
    /// The HTTP status code, 100...599.
    public var status: Int
    /// Header fields in order; a name may repeat (for example `Set-Cookie`).
    public var headers: [(name: String, value: String)]
    /// The response body.
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
