import CredenceJSON

/// `token_endpoint_auth_method` (RFC 7591 §2; absent means `client_secret_basic`): among the
/// methods the server can check and the policy allows. An unsupported method is refused, or
/// replaced per the policy's `unsupportedValues` by the first allowed method whose credential
/// the metadata already carries (a secret method always can: the server issues the secret).
public struct AuthenticationMethodRule: RegistrationRule {
    public let name = "token_endpoint_auth_method"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let supported = draft.capabilities.authenticationMethods.filter { method in
            draft.policy.allowedAuthenticationMethods.contains { Identifier.equal($0, method.rawValue) }
        }
        let requested = try draft.string("token_endpoint_auth_method", rule: name) ?? "client_secret_basic"
        if let method = ClientAuthenticationMethod(rawValue: requested), supported.contains(method) {
            draft.metadata["token_endpoint_auth_method"] = .string(method.rawValue)
            return
        }
        let allowedList = supported.map(\.rawValue).joined(separator: ", ")
        switch draft.policy.unsupportedValues {
        case .refuse:
            throw .metadata(
                name,
                "token_endpoint_auth_method: \(requested) is not allowed here (allowed: \(allowedList))"
            )
        case .replace:
            guard let replacement = supported.first(where: { canUse($0, draft.metadata) }) else {
                throw .metadata(
                    name,
                    "token_endpoint_auth_method: \(requested) is not allowed here (allowed: \(allowedList))"
                )
            }
            draft.metadata["token_endpoint_auth_method"] = .string(replacement.rawValue)
            draft.adjustments.append("token_endpoint_auth_method: replaced \(requested) by \(replacement.rawValue)")
        }
    }

    private func canUse(_ method: ClientAuthenticationMethod, _ metadata: JSONObject) -> Bool {
        switch method {
        case .clientSecretBasic, .clientSecretPost: true
        case .privateKeyJWT, .selfSignedTLSClientAuth: metadata["jwks"] != nil || metadata["jwks_uri"] != nil
        case .tlsClientAuth:
            metadata["tls_client_auth_subject_dn"] != nil
                || CertificateSubjectName.metadataNames.contains { metadata[$0] != nil }
        }
    }
}
