/// Why the keys of a `jwks_uri` (a client's, or a software-statement issuer's) could not be had.
///
/// The caller translates it where its meaning is known: for a client assertion it becomes
/// `invalid_client` (RFC 6749 §5.2), for registration metadata `invalid_client_metadata`
/// (RFC 7591 §3.2.2). The reason may name the URL's host, never key material.
public struct RemoteJWKSError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as an opaque value that compares by kind.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// The URL is not an absolute `https` URL without userinfo and fragment.
        public static let invalidURL = Code(name: "invalid_url")
        /// The URL's host (and port) is not in the configured allowlist; with an empty
        /// allowlist every `jwks_uri` is refused this way.
        public static let hostNotAllowed = Code(name: "host_not_allowed")
        /// The fetch failed: no connection, a TLS failure, a status other than 200.
        public static let fetchFailed = Code(name: "fetch_failed")
        /// The fetch ran out of its time limit.
        public static let fetchTimedOut = Code(name: "fetch_timed_out")
        /// The document is larger than the configured limit.
        public static let documentTooLarge = Code(name: "document_too_large")
        /// The document is not a JWK Set (RFC 7517 §5), or it carries private key material.
        public static let invalidDocument = Code(name: "invalid_document")

        /// The stable name of the code.
        public var description: String { name }
    }

    /// The kind of failure; compare this, never the strings.
    public let code: Code
    /// A message safe to log and to show an operator.
    public let reason: String
    /// The lower layer's own message (libcurl, the JWK parser), for `debugDescription` only.
    public let detail: String?
    /// Where the error was made.
    public let location: String

    /// Creates an error; `detail` goes only to `debugDescription`.
    public init(_ code: Code, _ reason: String, detail: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.detail = detail
        self.location = "\(file):\(line)"
    }

    public var description: String { "RemoteJWKSError.\(code): \(reason)" }

    public var debugDescription: String {
        var text = description
        if let detail, !detail.isEmpty { text += " [\(detail)]" }
        return text + " (\(location))"
    }
}

extension RemoteJWKSError: Equatable {
    /// Errors are equal by code, so tests compare what happened, not wording.
    public static func == (lhs: RemoteJWKSError, rhs: RemoteJWKSError) -> Bool { lhs.code == rhs.code }
}
