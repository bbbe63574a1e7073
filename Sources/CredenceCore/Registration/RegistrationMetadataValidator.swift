public import CredenceJSON
public import Foundation

/// Turns request metadata and a verified software statement into the metadata a client is
/// registered with (RFC 7591 §2, §2.3; Open Banking UK DCR): the statement's claims win over
/// the same request members, the Open Banking claims are mapped onto the RFC 7591 members,
/// then each rule checks (or, where the policy says `replace`, narrows) the result. Unknown
/// members are kept and echoed (RFC 7591 §2: ignore, never reject). The result is metadata
/// the token endpoint's ``ClientMetadata`` accepts.
public struct RegistrationMetadataValidator: Sendable {
    /// The rules, in the order they run (the method first: later rules depend on it).
    public let rules: [any RegistrationRule]
    /// What the server can serve.
    public let capabilities: RegistrationCapabilities

    /// JWT claims of the statement that describe the statement, not the client: not flattened.
    public static let statementOnlyClaims = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]

    /// Open Banking UK statement claims and the RFC 7591 / OIDC members they become.
    public static let claimMapping: [(claim: String, member: String)] = [
        ("software_client_name", "client_name"),
        ("software_client_uri", "client_uri"),
        ("software_logo_uri", "logo_uri"),
        ("software_policy_uri", "policy_uri"),
        ("software_tos_uri", "tos_uri"),
    ]

    /// The validator with every rule.
    public init(capabilities: RegistrationCapabilities) {
        self.capabilities = capabilities
        self.rules = [
            ServerManagedFieldsRule(),
            AuthenticationMethodRule(),
            SigningAlgorithmRule(),
            GrantTypesRule(),
            ResponseTypesRule(),
            RedirectURIsRule(),
            ClientKeysRule(),
            CertificateSubjectRule(),
            ScopeRule(),
            OpenIDMetadataRule(),
            CertificateBoundTokensRule(),
            CertificateBindingRule(),
        ]
    }

    /// The request metadata with the statement's claims laid over it (RFC 7591 §2.3: the
    /// statement wins) and mapped: `software_client_name` → `client_name` (and the other URIs),
    /// `software_jwks_endpoint` → `jwks_uri`, `software_jwks` → `jwks` (a statement key source
    /// replaces the request's). `software_statement` itself is left out (the service echoes it).
    public static func merge(request: JSONObject, statement: VerifiedSoftwareStatement?) -> JSONObject {
        var metadata = request
        metadata["software_statement"] = nil
        guard let statement else { return metadata }
        for (name, value) in statement.claims where !statementOnlyClaims.contains(name) {
            metadata[name] = value
        }
        for (claim, member) in claimMapping {
            if let value = statement.claims[claim] { metadata[member] = value }
        }
        if let endpoint = statement.claims["software_jwks_endpoint"] {
            metadata["jwks"] = nil
            metadata["jwks_uri"] = endpoint
        } else if let jwks = statement.claims["software_jwks"], jwks.objectValue != nil {
            metadata["jwks_uri"] = nil
            metadata["jwks"] = jwks
        }
        metadata["software_id"] = .string(statement.softwareID)
        if let organizationID = statement.organizationID { metadata["org_id"] = .string(organizationID) }
        return metadata
    }

    /// Merges and validates at `now`. Throws the first rule's refusal; a result that ``ClientMetadata``
    /// still refuses is `invalid_client_metadata` under the rule `client_metadata`.
    public func validate(
        request: JSONObject,
        statement: VerifiedSoftwareStatement?,
        policy: RegistrationPolicy,
        certificate: RegistrationCertificate,
        now: Date
    ) throws(RegistrationRefusal) -> ValidatedRegistration {
        var draft = RegistrationDraft(
            metadata: Self.merge(request: request, statement: statement),
            statement: statement,
            policy: policy,
            capabilities: capabilities,
            certificate: certificate,
            now: now
        )
        for rule in rules { try rule.apply(to: &draft) }
        let metadata: ClientMetadata
        do {
            metadata = try ClientMetadata(json: draft.metadata)
        } catch {
            throw RegistrationRefusal(rule: "client_metadata", error: error)
        }
        return ValidatedRegistration(metadata: metadata, adjustments: draft.adjustments)
    }
}

/// Metadata ready to register, with the changes the server made to what was asked.
public struct ValidatedRegistration: Sendable {
    /// The metadata, accepted by the token endpoint's typed view.
    public let metadata: ClientMetadata
    /// Values replaced or dropped under a `replace` policy (reported in the response).
    public let adjustments: [String]
}
