/// The limits and trust settings of an ``HTTPSClient``: everything that bounds what one fetch may
/// cost a worker thread (time, memory) and whom it trusts.
public struct HTTPSClientConfiguration: Sendable {
    /// How long the DNS lookup, TCP connect and TLS handshake may take together.
    public var connectTimeout: Duration
    /// How long the whole transfer may take, connect included.
    public var timeout: Duration
    /// The largest body accepted, in bytes; a larger one fails with ``HTTPSClientError/Code/tooLarge``
    /// as soon as it is announced (`Content-Length`) or received.
    public var maxBodyBytes: Int
    /// A PEM bundle of CA certificates trusted instead of the system's (a private CA, tests);
    /// `nil` trusts the system store (`/etc/ssl/certs`).
    public var caFile: String?
    /// An explicit proxy (`http://proxy.bank.example:3128`), or `nil` for none. Proxy variables
    /// of the environment (`https_proxy`, `ALL_PROXY`) are ignored either way: a service should
    /// not change where it sends requests because of an inherited variable.
    public var proxy: String?
    /// The `User-Agent` sent, so the owner of the fetched host can tell who is asking.
    public var userAgent: String

    /// Creates a configuration; the defaults suit a JWK Set fetched on a request's path.
    public init(
        connectTimeout: Duration = .seconds(3),
        timeout: Duration = .seconds(5),
        maxBodyBytes: Int = 65_536,
        caFile: String? = nil,
        proxy: String? = nil,
        userAgent: String = "Credence"
    ) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.caFile = caFile
        self.proxy = proxy
        self.userAgent = userAgent
    }
}
