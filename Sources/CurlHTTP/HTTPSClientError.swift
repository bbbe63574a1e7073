/// The one error type of `CurlHTTP`: a stable ``Code`` saying why a fetch failed at the level a
/// caller can act on (log it, keep a cached copy, refuse the client), a `description` safe to
/// log, and libcurl's own message in `debugDescription`.
public struct HTTPSClientError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as an opaque value that compares by kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// The URL is not a URL libcurl can parse, or holds a NUL byte.
        public static let invalidURL = Code(name: "invalid_url")
        /// The URL's scheme is not `https` (plain `http` included): nothing was sent.
        public static let notHTTPS = Code(name: "not_https")
        /// The client's own settings are unusable (an unreadable CA file, a proxy libcurl refuses).
        public static let invalidConfiguration = Code(name: "invalid_configuration")
        /// The host name did not resolve, or no TCP connection could be made (also to the proxy).
        public static let connectFailure = Code(name: "connect_failure")
        /// The TLS handshake failed: the peer's chain does not verify against the trusted CAs,
        /// its name does not match the host, or no common protocol version or cipher.
        public static let tlsFailure = Code(name: "tls_failure")
        /// The connect timeout or the total timeout ran out.
        public static let timeout = Code(name: "timeout")
        /// The body is (or announced itself as) larger than the configured maximum.
        public static let tooLarge = Code(name: "too_large")
        /// The server answered with a status other than 200; redirects (3xx) included, since
        /// they are never followed. ``HTTPSClientError/httpStatus`` holds it.
        public static let unexpectedStatus = Code(name: "unexpected_status")
        /// Any other transfer failure (connection reset, malformed HTTP, out of memory).
        public static let transferFailure = Code(name: "transfer_failure")

        /// The stable name of the code.
        public var description: String { name }
    }

    /// The kind of failure; compare this, never the strings.
    public let code: Code
    /// The HTTP status, for ``Code/unexpectedStatus``.
    public let httpStatus: Int?
    /// A message safe to log (it may name the host, never a credential).
    public let reason: String
    /// libcurl's own message (its error buffer), for `debugDescription` only.
    public let curlMessage: String?
    /// Where the error was made.
    public let location: String

    init(
        _ code: Code,
        _ reason: String,
        httpStatus: Int? = nil,
        curlMessage: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.httpStatus = httpStatus
        self.curlMessage = curlMessage
        self.location = "\(file):\(line)"
    }

    public var description: String { "HTTPSClientError.\(code): \(reason)" }

    public var debugDescription: String {
        var text = description
        if let curlMessage, !curlMessage.isEmpty { text += " [\(curlMessage)]" }
        return text + " (\(location))"
    }
}

extension HTTPSClientError: Equatable {
    /// Errors are equal by code, so tests compare what happened, not wording.
    public static func == (lhs: HTTPSClientError, rhs: HTTPSClientError) -> Bool { lhs.code == rhs.code }
}
