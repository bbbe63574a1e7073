/// Why the server could not build a ``FastCGIRequest``; the handler turns it into an HTTP
/// answer (413 for a body too large, 400 otherwise is the usual mapping).
public enum FastCGIRequestRejection: Sendable, Hashable, CustomStringConvertible {
    /// The body is larger than ``FastCGIServerConfiguration/maxBodyBytes`` (`limit`), by
    /// its `CONTENT_LENGTH` or by what actually arrived.
    case bodyTooLarge(limit: Int)
    /// The parameters together are larger than ``FastCGIServerConfiguration/maxParametersBytes``
    /// (`limit`).
    case parametersTooLarge(limit: Int)
    /// The request is not well formed: no `REQUEST_METHOD`, a `CONTENT_LENGTH` that is not
    /// a decimal number, a body shorter or longer than declared, a parameter that is not
    /// UTF-8 or is sent twice with different values, a FastCGI role other than responder.
    /// `reason` is safe to log and never contains parameter values.
    case malformed(reason: String)

    /// A short description for logs.
    public var description: String {
        switch self {
        case .bodyTooLarge(let limit): return "body larger than \(limit) bytes"
        case .parametersTooLarge(let limit): return "parameters larger than \(limit) bytes"
        case .malformed(let reason): return "malformed request: \(reason)"
        }
    }
}
