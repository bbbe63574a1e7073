/// The only error that ever becomes an HTTP body: an OAuth error code
/// (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 7009, RFC 7662) with
/// the HTTP status and headers it is answered with. Lower layers' errors are
/// translated into one of these where their meaning is known; anything else
/// becomes `server_error` with nothing internal in the body.
public struct OAuthError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The `error` member of the response (`invalid_request`, `invalid_client`, …).
    public let code: String
    /// The `error_description` member: human readable, safe to show a client, and always
    /// within RFC 6749 §5.2's character set (see ``sanitizedDescription(_:)``).
    public let errorDescription: String?
    /// The HTTP status the error is answered with.
    public let status: Int
    /// Extra response headers (`WWW-Authenticate`, `Allow`, `Retry-After`).
    public let headers: [HTTPHeaderField]
    /// Details for the log only (never sent to the client).
    public let logDetail: String?
    /// Where the error was made, for the log.
    public let location: String

    /// Creates an error; prefer the named factories.
    public init(
        code: String,
        description: String?,
        status: Int,
        headers: [HTTPHeaderField] = [],
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.errorDescription = description.map(Self.sanitizedDescription)
        self.status = status
        self.headers = headers
        self.logDetail = logDetail
        self.location = "\(file):\(line)"
    }

    public var description: String {
        errorDescription.map { "\(code): \($0)" } ?? code
    }

    /// `text` within the character set RFC 6749 §5.2 allows in `error_description`
    /// (`%x20-21 / %x23-5B / %x5D-7E`: printable ASCII without `"` and `\`), so that a reason
    /// built from lower layers (a JOSE error quoting a header value) can never produce a
    /// description a client must reject. `"` becomes `'`, `\` becomes `/`, typographic quotes
    /// and dashes their ASCII look-alikes, `…` three dots, control characters and line breaks a
    /// space, and any other character outside the set `?` (one per Unicode scalar).
    public static func sanitizedDescription(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22, 0x2018, 0x2019, 0x201C, 0x201D, 0x00AB, 0x00BB:  // " ‘ ’ “ ” « »
                result.append("'")
            case 0x5C:  // \
                result.append("/")
            case 0x20...0x7E:
                result.unicodeScalars.append(scalar)
            case 0x2026:  // …
                result.append("...")
            case 0x2010...0x2015, 0x2212:  // hyphens, dashes, minus
                result.append("-")
            case 0x00...0x1F, 0x7F, 0x85, 0x2028, 0x2029, 0x00A0:  // controls, line breaks, no-break space
                result.append(" ")
            default:
                result.append("?")
            }
        }
        return result
    }

    public var debugDescription: String {
        var text = "\(status) \(description) (\(location))"
        if let logDetail { text += " detail: \(logDetail)" }
        return text
    }

    /// Errors are equal by code and status, so tests compare what happened.
    public static func == (lhs: OAuthError, rhs: OAuthError) -> Bool {
        lhs.code == rhs.code && lhs.status == rhs.status
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(status)
    }

    /// Returns a copy carrying one more response header.
    public func adding(header name: String, value: String) -> OAuthError {
        OAuthError(
            code: code,
            description: errorDescription,
            status: status,
            headers: headers + [HTTPHeaderField(name: name, value: value)],
            logDetail: logDetail,
            location: location
        )
    }

    private init(
        code: String,
        description: String?,
        status: Int,
        headers: [HTTPHeaderField],
        logDetail: String?,
        location: String
    ) {
        self.code = code
        self.errorDescription = description
        self.status = status
        self.headers = headers
        self.logDetail = logDetail
        self.location = location
    }
}

/// One HTTP response header, kept as an ordered pair because the order and
/// repetition of headers can matter.
public struct HTTPHeaderField: Sendable, Hashable {
    /// The header name as sent (`WWW-Authenticate`).
    public var name: String
    /// The header value.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension OAuthError {
    /// RFC 6749 §5.2: the request is missing a parameter, repeats one, or is malformed.
    public static func invalidRequest(
        _ description: String,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "invalid_request",
            description: description,
            status: 400,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 6749 §5.2: client authentication failed (401).
    public static func invalidClient(
        _ description: String,
        basicChallenge: Bool = false,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "invalid_client",
            description: description,
            status: 401,
            headers: basicChallenge
                ? [HTTPHeaderField(name: "WWW-Authenticate", value: "Basic realm=\"credence\"")] : [],
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 6749 §5.2: the grant is invalid, expired or revoked.
    public static func invalidGrant(
        _ description: String,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "invalid_grant",
            description: description,
            status: 400,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 6749 §5.2: the client may not use this grant type.
    public static func unauthorizedClient(
        _ description: String,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "unauthorized_client",
            description: description,
            status: 400,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 6749 §5.2: the server does not support this grant type.
    public static func unsupportedGrantType(
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(code: "unsupported_grant_type", description: description, status: 400, file: file, line: line)
    }

    /// RFC 6749 §5.2: the scope asked for is not allowed.
    public static func invalidScope(_ description: String, file: String = #fileID, line: Int = #line) -> OAuthError {
        OAuthError(code: "invalid_scope", description: description, status: 400, file: file, line: line)
    }

    /// RFC 6750 §3.1: the bearer token is missing, expired, revoked or malformed (401).
    /// With `description == nil` (no token at all) the challenge carries no error, as §3.1 asks.
    public static func invalidToken(
        _ description: String?,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        let challenge =
            description == nil
            ? "Bearer realm=\"credence\""
            : "Bearer realm=\"credence\", error=\"invalid_token\""
        return OAuthError(
            code: "invalid_token",
            description: description ?? "a bearer token is required",
            status: 401,
            headers: [HTTPHeaderField(name: "WWW-Authenticate", value: challenge)],
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 6750 §3.1: the token lacks the scope the resource needs (403).
    public static func insufficientScope(_ description: String, file: String = #fileID, line: Int = #line) -> OAuthError
    {
        OAuthError(
            code: "insufficient_scope",
            description: description,
            status: 403,
            headers: [
                HTTPHeaderField(
                    name: "WWW-Authenticate",
                    value: "Bearer realm=\"credence\", error=\"insufficient_scope\""
                )
            ],
            file: file,
            line: line
        )
    }

    /// RFC 7591 §3.2.2: a metadata value is invalid.
    public static func invalidClientMetadata(
        _ description: String,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "invalid_client_metadata",
            description: description,
            status: 400,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 7591 §3.2.2: a redirect URI is invalid.
    public static func invalidRedirectURI(
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(code: "invalid_redirect_uri", description: description, status: 400, file: file, line: line)
    }

    /// RFC 7591 §3.2.2: the software statement is invalid.
    public static func invalidSoftwareStatement(
        _ description: String,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "invalid_software_statement",
            description: description,
            status: 400,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// RFC 7591 §3.2.2: the software statement is valid but not approved here.
    public static func unapprovedSoftwareStatement(
        _ description: String,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "unapproved_software_statement",
            description: description,
            status: 400,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// The path names no endpoint (404, JSON like every answer).
    public static func notFound(file: String = #fileID, line: Int = #line) -> OAuthError {
        OAuthError(code: "not_found", description: "no such endpoint", status: 404, file: file, line: line)
    }

    /// The endpoint exists but not for this method (405 with `Allow`).
    public static func methodNotAllowed(allowed: [String], file: String = #fileID, line: Int = #line) -> OAuthError {
        OAuthError(
            code: "method_not_allowed",
            description: "method not allowed; allowed: \(allowed.joined(separator: ", "))",
            status: 405,
            headers: [HTTPHeaderField(name: "Allow", value: allowed.joined(separator: ", "))],
            file: file,
            line: line
        )
    }

    /// The body is larger than the configured limit (413, `invalid_request`).
    public static func requestTooLarge(limit: Int, file: String = #fileID, line: Int = #line) -> OAuthError {
        OAuthError(
            code: "invalid_request",
            description: "request body larger than \(limit) bytes",
            status: 413,
            file: file,
            line: line
        )
    }

    /// The database is unreachable; the client may retry (503 with `Retry-After`).
    public static func temporarilyUnavailable(
        retryAfterSeconds: Int = 5,
        logDetail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        OAuthError(
            code: "temporarily_unavailable",
            description: "the service is temporarily unavailable; retry later",
            status: 503,
            headers: [HTTPHeaderField(name: "Retry-After", value: String(retryAfterSeconds))],
            logDetail: logDetail,
            file: file,
            line: line
        )
    }

    /// Anything unexpected: nothing internal reaches the body, the detail goes to the log.
    public static func serverError(logDetail: String, file: String = #fileID, line: Int = #line) -> OAuthError {
        OAuthError(
            code: "server_error",
            description: "internal error",
            status: 500,
            logDetail: logDetail,
            file: file,
            line: line
        )
    }
}
