import CredenceJSON

/// `redirect_uris` (RFC 7591 §2): absolute `https` URIs without fragment, userinfo or control
/// characters, and within the statement's `software_redirect_uris` when it carries that claim;
/// outside ones are refused (`invalid_redirect_uri`) or dropped, per the policy's
/// `redirectURIMismatch`. Absent, a statement's list is registered.
public struct RedirectURIsRule: RegistrationRule {
    public let name = "redirect_uris"

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let allowed = draft.statement?.claims["software_redirect_uris"].flatMap(\.stringArrayValue)
        guard let value = draft.metadata["redirect_uris"] else {
            if let allowed, !allowed.isEmpty {
                try check(allowed, member: "software_redirect_uris")
                draft.metadata["redirect_uris"] = JSONValue(allowed)
            }
            return
        }
        guard let uris = value.stringArrayValue, !uris.isEmpty else {
            throw .redirectURI("redirect_uris must be a non-empty array of strings (RFC 7591 §2)")
        }
        try check(uris, member: "redirect_uris")
        guard let allowed else { return }
        let outside = uris.filter { uri in !allowed.contains { Identifier.equal($0, uri) } }
        guard !outside.isEmpty else { return }
        switch draft.policy.redirectURIMismatch {
        case .refuse:
            throw .redirectURI(
                "redirect_uris: \(outside[0]) is not among the software statement's software_redirect_uris"
            )
        case .replace:
            let kept = uris.filter { uri in allowed.contains { Identifier.equal($0, uri) } }
            draft.metadata["redirect_uris"] = kept.isEmpty ? nil : JSONValue(kept)
            draft.adjustments.append(
                "redirect_uris: dropped \(outside.joined(separator: " ")), not among the software statement's software_redirect_uris"
            )
        }
    }

    private func check(_ uris: [String], member: String) throws(RegistrationRefusal) {
        for uri in uris {
            if let problem = HTTPSURI.problem(uri) { throw .redirectURI("\(member): each redirect URI \(problem)") }
        }
    }
}
