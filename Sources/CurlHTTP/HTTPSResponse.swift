/// A successful (`200 OK`) answer to ``HTTPSClient/get(_:accept:)``: what a caller needs to parse
/// and cache a small document such as a JWK Set, nothing more.
public struct HTTPSResponse: Sendable {
    /// The HTTP status; always 200, since any other status is an ``HTTPSClientError``.
    public let status: Int
    /// The `Content-Type` field value as sent (parameters included), if any.
    public let contentType: String?
    /// The body, at most the configured maximum size (no content coding is asked for or decoded).
    public let body: [UInt8]
    /// RFC 9111 §5.2.2.1: `Cache-Control: max-age` in seconds; 0 for `no-store` or `no-cache`
    /// (§5.2.2.4, §5.2.2.5); the smallest when several are sent; `nil` when none is.
    public let maxAge: Int?

    /// Creates a response (for tests of code that consumes responses).
    public init(status: Int, contentType: String?, body: [UInt8], maxAge: Int?) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.maxAge = maxAge
    }
}
