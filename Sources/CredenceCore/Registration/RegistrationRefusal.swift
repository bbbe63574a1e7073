/// A registration or management request refused by a named rule: the OAuth error the client
/// gets (RFC 7591 §3.2.2, RFC 7592 §2) and the rule's name, which the audit trail records.
public struct RegistrationRefusal: Error, Sendable, CustomStringConvertible {
    /// The rule that refused (`redirect_uris`, `grant_types`, `initial_access_token`, …).
    public let rule: String
    /// What the client is answered.
    public let error: OAuthError
    /// The software statement, when it had verified before the refusal (a signed request
    /// refused for its own signature or claims): the audit trail names its software.
    public var statement: VerifiedSoftwareStatement?

    /// A refusal by `rule` with `error`.
    public init(rule: String, error: OAuthError) {
        self.rule = rule
        self.error = error
    }

    /// RFC 7591 §3.2.2 `invalid_client_metadata`, naming the field and the rule in the description.
    public static func metadata(
        _ rule: String,
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    )
        -> RegistrationRefusal
    {
        RegistrationRefusal(rule: rule, error: .invalidClientMetadata(description, file: file, line: line))
    }

    /// RFC 7591 §3.2.2 `invalid_redirect_uri`.
    public static func redirectURI(
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    )
        -> RegistrationRefusal
    {
        RegistrationRefusal(rule: "redirect_uris", error: .invalidRedirectURI(description, file: file, line: line))
    }

    /// RFC 7591 §3.2.2 `invalid_software_statement`.
    public static func statement(
        _ rule: String,
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    )
        -> RegistrationRefusal
    {
        RegistrationRefusal(rule: rule, error: .invalidSoftwareStatement(description, file: file, line: line))
    }

    /// RFC 7591 §3.2.2 `unapproved_software_statement`.
    public static func unapproved(
        _ rule: String,
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    )
        -> RegistrationRefusal
    {
        RegistrationRefusal(rule: rule, error: .unapprovedSoftwareStatement(description, file: file, line: line))
    }

    /// RFC 6750 §3.1 / RFC 7592 §2: 401 `invalid_token`, never saying which check failed.
    public static func token(_ rule: String, missing: Bool = false, logDetail: String? = nil) -> RegistrationRefusal {
        RegistrationRefusal(
            rule: rule,
            error: .invalidToken(
                missing ? nil : "the bearer token is missing, invalid, expired, revoked or not for this request",
                logDetail: logDetail
            )
        )
    }

    public var description: String { "\(rule): \(error)" }
}
