/// The rule of software-statement and signed-request verification that refused a registration.
///
/// Every refusal names its rule at the start of `error_description` (`statement_signer: …`), so a
/// TPP, the audit log and `credence ssa check` all say which rule decided, in the same words.
public enum TrustRule: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The statement is not a compact JWS with a JSON claims set (RFC 7515 §7.1, RFC 7519 §7.2).
    case statementFormat = "statement_format"
    /// `iss` names no trusted issuer (RFC 7591 §2.3: the server decides whom it trusts).
    case trustedIssuer = "trusted_issuer"
    /// The statement's `alg` is not allowed for its issuer (RFC 8725 §3.1).
    case statementAlgorithm = "statement_algorithm"
    /// No key of the issuer is named by the statement (`kid`, or an `x5c` where a CA is set).
    case statementKey = "statement_key"
    /// The certificate that vouches for the statement's key (`signer_certificates`) is expired,
    /// not yet valid, or does not allow digitalSignature (RFC 5280 §4.1.2.5, §4.2.1.3).
    case signerCertificate = "signer_certificate"
    /// The signature does not verify with the issuer's key.
    case statementSignature = "statement_signature"
    /// The `x5c` chain does not verify against the issuer's CA bundle (RFC 7515 §4.1.6).
    case certificateChain = "certificate_chain"
    /// The `x5c` leaf is not one of the issuer's statement signers (a TPP's own certificate).
    case statementSigner = "statement_signer"
    /// The statement was signed with a key the issuer has revoked, or the revocation list is unavailable.
    case revokedStatementKey = "revoked_statement_key"
    /// A claim the issuer's entry requires is missing.
    case requiredClaims = "required_claims"
    /// `exp` has passed (RFC 7519 §4.1.4).
    case statementExpiry = "statement_exp"
    /// `nbf` lies ahead (RFC 7519 §4.1.5).
    case statementNotBefore = "statement_nbf"
    /// `iat` lies ahead (RFC 7519 §4.1.6).
    case statementIssuedAt = "statement_iat"
    /// `iat` is older than the issuer's maximum age.
    case statementMaximumAge = "statement_max_age"
    /// `software_id` is missing or not a non-empty string (RFC 7591 §2).
    case softwareID = "software_id"
    /// `org_id` is not a non-empty string (Open Banking UK).
    case organizationID = "org_id"
    /// `org_status` is present and not `Active` (Open Banking UK).
    case organizationStatus = "org_status"

    /// The signed request is not a compact JWS with a JSON claims set.
    case requestFormat = "request_format"
    /// The signed request's header names its own key (`x5c`, `x5u`, `jku`, `jwk`).
    case requestHeader = "request_header"
    /// The signed request carries no `software_statement`.
    case softwareStatement = "software_statement"
    /// The statement names no usable software key (`software_jwks`, `software_jwks_endpoint`),
    /// or one on a host the issuer's entry does not allow.
    case softwareKeys = "software_keys"
    /// The request's `alg` is not allowed for the statement's issuer.
    case requestAlgorithm = "request_algorithm"
    /// No software key is named by the request's `kid`.
    case requestKey = "request_key"
    /// The request's signature does not verify with the software key.
    case requestSignature = "request_signature"
    /// The request was signed with a key listed at `software_jwks_revoked_endpoint`, or that
    /// list is unavailable.
    case revokedSoftwareKey = "revoked_software_key"
    /// `iat`, `exp` or `jti` is missing from the request.
    case requestClaims = "request_claims"
    /// The request's `exp` has passed.
    case requestExpiry = "request_exp"
    /// The request's `nbf` lies ahead.
    case requestNotBefore = "request_nbf"
    /// The request's `iat` lies ahead.
    case requestIssuedAt = "request_iat"
    /// The request's `iss` is not the statement's `software_id` (Open Banking UK DCR).
    case requestIssuer = "request_iss"
    /// The request's `aud` does not name this server, where the policy requires it.
    case requestAudience = "request_aud"

    public var description: String { rawValue }

    /// `invalid_software_statement` (RFC 7591 §3.2.2) naming this rule.
    func invalidStatement(
        _ message: String,
        detail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        .invalidSoftwareStatement("\(rawValue): \(message)", logDetail: logDetail(detail), file: file, line: line)
    }

    /// `unapproved_software_statement` (RFC 7591 §3.2.2) naming this rule.
    func unapprovedStatement(
        _ message: String,
        detail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        .unapprovedSoftwareStatement("\(rawValue): \(message)", logDetail: logDetail(detail), file: file, line: line)
    }

    /// `invalid_client_metadata` (RFC 7591 §3.2.2) naming this rule: the signed request, which
    /// carries the metadata, is refused.
    func invalidMetadata(
        _ message: String,
        detail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> OAuthError {
        .invalidClientMetadata("\(rawValue): \(message)", logDetail: logDetail(detail), file: file, line: line)
    }

    /// The rule an error made by this type names in its log detail (`rule=…`), so that the
    /// audit trail records the rule that decided rather than the step that ran it.
    static func named(by error: OAuthError) -> TrustRule? {
        guard let detail = error.logDetail, detail.hasPrefix("rule=") else { return nil }
        let name = detail.dropFirst("rule=".count).prefix { $0 != ";" }
        return TrustRule(rawValue: String(name))
    }

    private func logDetail(_ detail: String?) -> String {
        "rule=\(rawValue)" + (detail.map { "; \($0)" } ?? "")
    }

    /// A value from a token, fit for a log line: short and printable, never the whole thing.
    static func printable(_ value: String) -> String {
        let clipped = value.unicodeScalars.prefix(64).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?"
        }
        return "\"" + String(clipped) + (value.unicodeScalars.count > 64 ? "…" : "") + "\""
    }
}
