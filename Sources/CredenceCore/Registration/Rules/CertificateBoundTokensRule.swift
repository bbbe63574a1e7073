/// `tls_client_certificate_bound_access_tokens` (RFC 8705 §3.4): a boolean where sent; `true`
/// whatever was asked when the policy forces certificate-bound tokens (FAPI), and said so.
public struct CertificateBoundTokensRule: RegistrationRule {
    public let name = "tls_client_certificate_bound_access_tokens"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let value = draft.metadata["tls_client_certificate_bound_access_tokens"]
        if let value, value.boolValue == nil {
            throw .metadata(name, "tls_client_certificate_bound_access_tokens must be a boolean")
        }
        guard draft.policy.forceCertificateBoundTokens, value?.boolValue != true else { return }
        if value != nil {
            draft.adjustments.append("tls_client_certificate_bound_access_tokens: set to true (required here)")
        }
        draft.metadata["tls_client_certificate_bound_access_tokens"] = .bool(true)
    }
}
