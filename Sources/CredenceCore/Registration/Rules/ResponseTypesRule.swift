import CredenceJSON

/// `response_types` (RFC 7591 §2), where sent: each among those the server serves (none: it has
/// no authorization endpoint), refused or dropped per the policy's `unsupportedValues`.
public struct ResponseTypesRule: RegistrationRule {
    public let name = "response_types"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        guard let requested = try draft.stringArray("response_types", rule: name) else { return }
        let supported = draft.capabilities.responseTypes
        let unsupported = requested.filter { type in !supported.contains { Identifier.equal($0, type) } }
        guard !unsupported.isEmpty else { return }
        switch draft.policy.unsupportedValues {
        case .refuse:
            throw .metadata(name, "response_types: \(unsupported[0]) is not supported by this server")
        case .replace:
            let kept = requested.filter { type in supported.contains { Identifier.equal($0, type) } }
            draft.metadata["response_types"] = JSONValue(kept)
            draft.adjustments.append("response_types: removed \(unsupported.joined(separator: ", ")) (not supported)")
        }
    }
}
