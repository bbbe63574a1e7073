import CredenceJSON

/// `scope` (RFC 7591 §2) within what the policy allows: the union of
/// `scopesByRole[role]` over the statement's `software_roles`, or the policy's default scopes
/// without roles. Absent, every allowed scope is registered.
public struct ScopeRule: RegistrationRule {
    public let name = "scope"

    /// Creates the rule.
    public init() {}

    /// The scopes `policy` allows a registration with `statement`.
    public static func allowedScopes(policy: RegistrationPolicy, statement: VerifiedSoftwareStatement?) -> [String] {
        guard let roles = statement?.claims["software_roles"] else { return policy.defaultScopes }
        let names = roles.stringArrayValue ?? roles.stringValue.map { [$0] } ?? []
        var scopes: [String] = []
        for role in names {
            for scope in policy.scopesByRole[role] ?? [] where !Scope.contains(scopes, scope) {
                scopes.append(scope)
            }
        }
        return scopes
    }

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let allowed = Self.allowedScopes(policy: draft.policy, statement: draft.statement)
        guard let value = draft.metadata["scope"] else {
            if !allowed.isEmpty { draft.metadata["scope"] = .string(allowed.joined(separator: " ")) }
            return
        }
        guard let text = value.stringValue else { throw .metadata(name, "scope must be a string") }
        let requested: [String]
        do {
            requested = try Scope.parse(text)
        } catch {
            throw .metadata(name, "scope must be scope tokens separated by single spaces (RFC 6749 §3.3)")
        }
        if let outside = requested.first(where: { !Scope.contains(allowed, $0) }) {
            throw .metadata(
                name,
                "scope: \(outside) is not allowed for this software's roles (allowed: \(allowed.joined(separator: " ")))"
            )
        }
    }
}
