import CredenceJSON

/// `token_endpoint_auth_signing_alg` (RFC 7591 §2): required for `private_key_jwt` (Open
/// Banking UK DCR and FAPI pin the algorithm), and where sent, one of the server's assertion
/// algorithms (never `none` or HMAC: they are in no allowlist).
public struct SigningAlgorithmRule: RegistrationRule {
    public let name = "token_endpoint_auth_signing_alg"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let supported = draft.capabilities.assertionSigningAlgorithms
        guard let algorithm = try draft.string("token_endpoint_auth_signing_alg", rule: name) else {
            if draft.authenticationMethod == .privateKeyJWT {
                throw .metadata(name, "token_endpoint_auth_signing_alg is required for private_key_jwt")
            }
            return
        }
        guard !supported.contains(where: { Identifier.equal($0, algorithm) }) else { return }
        switch draft.policy.unsupportedValues {
        case .refuse:
            throw .metadata(
                name,
                "token_endpoint_auth_signing_alg: \(algorithm) is not supported (supported: \(supported.joined(separator: ", ")))"
            )
        case .replace:
            guard let first = supported.first else {
                throw .metadata(name, "token_endpoint_auth_signing_alg: no assertion algorithm is configured")
            }
            draft.metadata["token_endpoint_auth_signing_alg"] = .string(first)
            draft.adjustments.append("token_endpoint_auth_signing_alg: replaced \(algorithm) by \(first)")
        }
    }
}
