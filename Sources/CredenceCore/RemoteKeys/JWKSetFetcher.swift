/// Fetches the document at a `jwks_uri`, once, with the transport's own limits (time, size,
/// TLS). The core decides when to fetch and what to believe ( ``RemoteJWKSCache``); an
/// implementation does the I/O only, so the domain stays testable without a network.
public protocol JWKSetFetcher: Sendable {
    /// The `200 OK` body at `url`, or the reason there is none: ``RemoteJWKSError/Code/fetchFailed``,
    /// ``RemoteJWKSError/Code/fetchTimedOut`` or ``RemoteJWKSError/Code/documentTooLarge``.
    /// Called on the requesting worker's thread; it blocks until done.
    func fetchJWKSetDocument(from url: RemoteJWKSURL) throws(RemoteJWKSError) -> FetchedJWKSetDocument
}

/// What a ``JWKSetFetcher`` returns: the raw document and how long its server lets it be cached.
public struct FetchedJWKSetDocument: Sendable {
    /// The body, not yet parsed.
    public var body: [UInt8]
    /// RFC 9111 §5.2.2.1 `Cache-Control: max-age` in seconds (0 for `no-store`/`no-cache`), if sent.
    public var maxAge: Int?

    /// Creates a fetched document.
    public init(body: [UInt8], maxAge: Int? = nil) {
        self.body = body
        self.maxAge = maxAge
    }
}
