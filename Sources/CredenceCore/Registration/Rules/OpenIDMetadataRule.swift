/// The OpenID Connect Registration members Open Banking registrations send, checked where
/// sent (OIDC Registration §2): `application_type` `web` or `native`;
/// `id_token_signed_response_alg` and `request_object_signing_alg` among the server's
/// signature algorithms (never `none`).
public struct OpenIDMetadataRule: RegistrationRule {
    public let name = "openid_metadata"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        if let type = try draft.string("application_type", rule: name),
            !draft.capabilities.applicationTypes.contains(where: { Identifier.equal($0, type) })
        {
            throw .metadata(
                name,
                "application_type must be one of \(draft.capabilities.applicationTypes.joined(separator: ", "))"
            )
        }
        for member in ["id_token_signed_response_alg", "request_object_signing_alg"] {
            guard let algorithm = try draft.string(member, rule: name) else { continue }
            let supported = draft.capabilities.objectSigningAlgorithms
            guard supported.contains(where: { Identifier.equal($0, algorithm) }) else {
                throw .metadata(
                    name,
                    "\(member): \(algorithm) is not supported (supported: \(supported.joined(separator: ", ")))"
                )
            }
        }
    }
}
