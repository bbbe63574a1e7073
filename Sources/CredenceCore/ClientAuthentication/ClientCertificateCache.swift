import OpenSSLCrypto

/// Client certificates as parsed from the web server's `SSL_CLIENT_CERT` parameter, shared
/// by every worker. Decoding one (percent-decoding, PEM, `d2i_X509`, whose public-key
/// decoding through OpenSSL 3's `OSSL_DECODER` is most of it, names, extensions) cost
/// more than a third of a `tls_client_auth` token request, and a client presents the same
/// certificate on every request.
///
/// Entries are keyed by the SHA-256 of the exact parameter bytes received, so a hit is the
/// certificate those very bytes parse to, and nothing needs invalidating; a parameter that
/// does not parse is not cached (it throws every time). Only the parsing is cached: the
/// chain is still verified against the trust store at each request's time
/// (``PresentedClientCertificate/verified(by:at:)``), and the certificate still comes only
/// from the request's own CGI parameters.
///
/// Thread safety: a cached ``Certificate`` (one OpenSSL `X509`) is read and verified by many
/// threads at once and never modified. openssl-threads(7) (OpenSSL 3): "Objects are
/// thread-safe as long as the API's being invoked don't modify the object", and the internal
/// state OpenSSL fills lazily inside an `X509` (decoded extensions, cached encodings) is
/// "done with locks"; its reference count is atomic. Every verification uses its own
/// `X509_STORE_CTX`.
public final class ClientCertificateCache: Sendable {
    private let cache: BoundedCache<[UInt8], Certificate>

    /// An empty cache of at most `capacity` certificates (each a few KiB).
    public init(capacity: Int = 1024) {
        cache = BoundedCache(capacity: capacity)
    }

    /// The most certificates kept.
    public var capacity: Int { cache.capacity }

    /// How many certificates are cached.
    public var count: Int { cache.count }

    /// The certificate `value` holds, exactly as ``Certificate/init(webServerParameter:)``
    /// parses it, parsed at most once while it stays cached.
    ///
    /// - Throws: the ``CertificateError`` of ``Certificate/init(webServerParameter:)``.
    public func certificate(webServerParameter value: String) throws -> PresentedClientCertificate {
        // Oversized values are refused by the parser before anything is hashed.
        guard value.utf8.count <= Certificate.maximumWebServerParameterLength else {
            return PresentedClientCertificate(certificate: try Certificate(webServerParameter: value))
        }
        let key = Digest.sha256(value.utf8)
        let certificate = try cache.value(for: key) { try Certificate(webServerParameter: value) }
        return PresentedClientCertificate(certificate: certificate)
    }
}
