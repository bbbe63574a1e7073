public import CredenceJSON
public import Foundation
public import OpenSSLCrypto

/// The seam between the trust registry (which issuers' software statements are trusted, and
/// how their signatures, claims and policies are checked) and the registration endpoint
/// (which turns a verified statement plus request metadata into a client). RFC 7591 §2.3.
public protocol SoftwareStatementVerifying: Sendable {
    /// Verifies a compact software statement at `now`: signature by a key the issuer's trust
    /// entry allows, `iss` in the registry, `iat`/`exp`/`nbf` with skew and the issuer's
    /// maximum age, required claims, `org_status` active where present. It does not record
    /// the `jti` (the registration does, in its transaction). Throws
    /// `invalid_software_statement` for a malformed or unverifiable statement and
    /// `unapproved_software_statement` for one from an issuer that is not trusted.
    func verify(_ statement: String, now: Date) throws -> VerifiedSoftwareStatement
}

/// A software statement whose signature and claims were checked, with the registration
/// policy of the issuer that signed it.
public struct VerifiedSoftwareStatement: Sendable {
    /// The statement as received (echoed in the registration response, RFC 7591 §3.2.1).
    public var statement: String
    /// `iss`: the trusted issuer that signed it.
    public var issuer: String
    /// Every claim of the statement.
    public var claims: JSONObject
    /// `software_id`.
    public var softwareID: String
    /// `org_id`, where the statement carries one (Open Banking UK).
    public var organizationID: String?
    /// `jti`: recorded with the registration so the statement cannot be used twice while
    /// unexpired (when the policy says so).
    public var jti: String?
    /// How long the `jti` must be remembered: `exp`, or without one, `iat` plus the issuer's
    /// maximum age and the clock skew (the last moment the statement is accepted).
    public var expiresAt: Date?
    /// The registration policy of the issuer.
    public var policy: RegistrationPolicy
    /// The issuer's transport CAs (``TrustedIssuer/transportCertificateAuthorities``): what the
    /// registration's client certificate must chain to under the policy's certificate binding.
    public var transportCertificateAuthorities: CertificateTrustStore?

    /// Creates the value (the trust registry does).
    public init(
        statement: String,
        issuer: String,
        claims: JSONObject,
        softwareID: String,
        organizationID: String?,
        jti: String?,
        expiresAt: Date?,
        policy: RegistrationPolicy,
        transportCertificateAuthorities: CertificateTrustStore? = nil
    ) {
        self.statement = statement
        self.issuer = issuer
        self.claims = claims
        self.softwareID = softwareID
        self.organizationID = organizationID
        self.jti = jti
        self.expiresAt = expiresAt
        self.policy = policy
        self.transportCertificateAuthorities = transportCertificateAuthorities
    }
}

/// How one trusted issuer's registrations are treated (and, as the default, registrations
/// without a statement where those are allowed). Configured per issuer under
/// `registration.trusted_issuers[].policy`, with global defaults under `registration.policy`.
public struct RegistrationPolicy: Sendable, Hashable {
    /// Whether `POST /register` needs an initial access token (RFC 7591 §3).
    public enum InitialAccessToken: String, Sendable, Hashable, CaseIterable {
        /// A bearer token with ``initialAccessTokenScope`` is required (the seed document's flow).
        case required
        /// Checked when present, not required.
        case optional
        /// Not used (Open Banking UK: mTLS plus the statement).
        case none
    }

    /// How many registrations one piece of software may have, enforced by a database constraint.
    public enum Uniqueness: String, Sendable, Hashable, CaseIterable {
        /// One live client per `software_id` (per issuer).
        case perSoftwareID = "per_software_id"
        /// One client per statement `jti`.
        case perStatement = "per_statement"
        /// No limit.
        case many
    }

    /// What to do with a value the server does not support or that falls outside the statement.
    public enum Mismatch: String, Sendable, Hashable, CaseIterable {
        /// Refuse with `invalid_client_metadata` / `invalid_redirect_uri` (the default).
        case refuse
        /// Keep only the supported or allowed values, and say so in the response.
        case replace
    }

    /// Whether an initial access token is required.
    public var initialAccessToken: InitialAccessToken
    /// The scope the initial access token must carry.
    public var initialAccessTokenScope: String
    /// Grant types a registration may ask for.
    public var allowedGrantTypes: [String]
    /// Authentication methods a registration may ask for.
    public var allowedAuthenticationMethods: [String]
    /// Scopes per `software_roles` value; a client gets the union of its roles' scopes.
    public var scopesByRole: [String: [String]]
    /// Scopes for a statement without `software_roles` (or a registration without a statement).
    public var defaultScopes: [String]
    /// Every token of the registered clients is certificate-bound (FAPI).
    public var forceCertificateBoundTokens: Bool
    /// How many clients one piece of software may register.
    public var uniqueness: Uniqueness
    /// Redirect URIs outside the statement's `software_redirect_uris`.
    public var redirectURIMismatch: Mismatch
    /// Known metadata values the server does not support (a grant or response type).
    public var unsupportedValues: Mismatch
    /// Whether a signed registration request's `aud` must be the issuer.
    public var requireRequestAudience: Bool
    /// Whether a registration without a software statement is allowed.
    public var allowWithoutStatement: Bool
    /// How the RFC 7592 management endpoint may be authorised.
    public var managementByRegistrationAccessToken: Bool
    /// Open Banking UK: management by an access token the same client obtained.
    public var managementByAccessToken: Bool
    /// Rotate the registration access token on every use (RFC 7592 §3).
    public var rotateRegistrationAccessToken: Bool
    /// Certificate ↔ statement binding: certificate subject attribute (short name or OID) →
    /// a template over statement claims, e.g. `["CN": "{software_id}", "OU": "{org_id}"]`
    /// (UK) or `["UID": "{software_id}", "organizationIdentifier": "OFBBR-{org_id}"]`
    /// (Brazil). Empty: no binding is required.
    public var certificateSubjectBinding: [String: String]

    /// The defaults: initial access token required with scope `DynamicClientRegistration`,
    /// `client_credentials`, every method, refuse mismatches, one client per `software_id`.
    public static let `default` = RegistrationPolicy(
        initialAccessToken: .required,
        initialAccessTokenScope: "DynamicClientRegistration",
        allowedGrantTypes: ["client_credentials"],
        allowedAuthenticationMethods: ClientAuthenticationMethod.allCases.map(\.rawValue),
        scopesByRole: [:],
        defaultScopes: [],
        forceCertificateBoundTokens: false,
        uniqueness: .perSoftwareID,
        redirectURIMismatch: .refuse,
        unsupportedValues: .refuse,
        requireRequestAudience: true,
        allowWithoutStatement: false,
        managementByRegistrationAccessToken: true,
        managementByAccessToken: true,
        rotateRegistrationAccessToken: false,
        certificateSubjectBinding: [:]
    )

    /// Creates a policy.
    public init(
        initialAccessToken: InitialAccessToken,
        initialAccessTokenScope: String,
        allowedGrantTypes: [String],
        allowedAuthenticationMethods: [String],
        scopesByRole: [String: [String]],
        defaultScopes: [String],
        forceCertificateBoundTokens: Bool,
        uniqueness: Uniqueness,
        redirectURIMismatch: Mismatch,
        unsupportedValues: Mismatch,
        requireRequestAudience: Bool,
        allowWithoutStatement: Bool,
        managementByRegistrationAccessToken: Bool,
        managementByAccessToken: Bool,
        rotateRegistrationAccessToken: Bool,
        certificateSubjectBinding: [String: String]
    ) {
        self.initialAccessToken = initialAccessToken
        self.initialAccessTokenScope = initialAccessTokenScope
        self.allowedGrantTypes = allowedGrantTypes
        self.allowedAuthenticationMethods = allowedAuthenticationMethods
        self.scopesByRole = scopesByRole
        self.defaultScopes = defaultScopes
        self.forceCertificateBoundTokens = forceCertificateBoundTokens
        self.uniqueness = uniqueness
        self.redirectURIMismatch = redirectURIMismatch
        self.unsupportedValues = unsupportedValues
        self.requireRequestAudience = requireRequestAudience
        self.allowWithoutStatement = allowWithoutStatement
        self.managementByRegistrationAccessToken = managementByRegistrationAccessToken
        self.managementByAccessToken = managementByAccessToken
        self.rotateRegistrationAccessToken = rotateRegistrationAccessToken
        self.certificateSubjectBinding = certificateSubjectBinding
    }
}
