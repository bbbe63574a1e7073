import CredenceJSON

/// `grant_types` (RFC 7591 §2): each among those the server serves and the policy allows.
/// Absent, `client_credentials` is registered (Credence issues no other grant; RFC 7591's
/// default `authorization_code` is a grant it does not serve). Unsupported values are refused
/// or dropped per the policy's `unsupportedValues`.
public struct GrantTypesRule: RegistrationRule {
    public let name = "grant_types"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let supported = draft.capabilities.grantTypes.filter { grant in
            draft.policy.allowedGrantTypes.contains { Identifier.equal($0, grant) }
        }
        guard let requested = try draft.stringArray("grant_types", rule: name) else {
            guard !supported.isEmpty else {
                throw .metadata(name, "grant_types: the policy allows no grant type this server serves")
            }
            draft.metadata["grant_types"] = JSONValue([supported[0]])
            return
        }
        guard !requested.isEmpty else { throw .metadata(name, "grant_types must not be empty") }
        let unsupported = requested.filter { grant in !supported.contains { Identifier.equal($0, grant) } }
        guard !unsupported.isEmpty else { return }
        switch draft.policy.unsupportedValues {
        case .refuse:
            throw .metadata(
                name,
                "grant_types: \(unsupported[0]) is not allowed here (allowed: \(supported.joined(separator: ", ")))"
            )
        case .replace:
            var kept = requested.filter { grant in supported.contains { Identifier.equal($0, grant) } }
            if kept.isEmpty {
                guard let first = supported.first else {
                    throw .metadata(name, "grant_types: the policy allows no grant type this server serves")
                }
                kept = [first]
            }
            draft.metadata["grant_types"] = JSONValue(kept)
            draft.adjustments.append("grant_types: replaced \(unsupported.joined(separator: " ")) (not supported)")
        }
    }
}
