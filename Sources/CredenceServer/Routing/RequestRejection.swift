/// A request the transport refused before it reached routing, still answered
/// with an OAuth-style JSON error rather than a dropped connection.
public enum RequestRejection: Sendable, Hashable {
    /// The body is larger than the configured limit (413).
    case bodyTooLarge(limit: Int)
    /// The CGI parameters (headers) are larger than the transport accepts (431).
    case parametersTooLarge(limit: Int)
    /// The request is malformed at the transport level (400): a missing
    /// `REQUEST_METHOD`, a body shorter or longer than `CONTENT_LENGTH`.
    case malformed(reason: String)
}
