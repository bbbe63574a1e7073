public import CredenceJSON
public import Foundation

/// The seam for Open Banking UK signed registration requests (`application/jwt` and
/// `application/jose`): the trust registry verifies the request JWT with the software's key
/// from its statement and the statement itself; the registration endpoint turns the result
/// into a client. Implemented next to ``SoftwareStatementVerifying``.
public protocol SignedRegistrationRequestVerifying: Sendable {
    /// Verifies a compact signed registration request at `now`: the embedded
    /// `software_statement` (as ``SoftwareStatementVerifying/verify(_:now:)`` does), then the
    /// request's signature with a key of that statement's software (`software_jwks` or
    /// `software_jwks_endpoint`, never `x5c`, `x5u` or `jku` of the request's own header),
    /// `iss` = the statement's `software_id`, `aud` the issuer where the policy says so,
    /// `iat`/`exp`/`jti` present. It does not record the `jti` (the registration does, in its
    /// transaction). Throws `invalid_software_statement`, `unapproved_software_statement` or
    /// `invalid_client_metadata` (the request itself is malformed or does not verify).
    func verify(_ request: String, now: Date) throws -> VerifiedRegistrationRequest
}

/// A signed registration request whose signature, statement and claims were checked.
public struct VerifiedRegistrationRequest: Sendable {
    /// Every claim of the request (the registration metadata, plus `iss`, `aud`, `iat`, `exp`,
    /// `jti` and `software_statement`).
    public var claims: JSONObject
    /// The verified statement the request carried.
    public var statement: VerifiedSoftwareStatement
    /// The request's `jti`: recorded in the registration's transaction so the request cannot be
    /// replayed.
    public var jti: String
    /// The request's `exp`: how long its `jti` is remembered.
    public var expiresAt: Date

    /// Creates the value (the verifier does).
    public init(claims: JSONObject, statement: VerifiedSoftwareStatement, jti: String, expiresAt: Date) {
        self.claims = claims
        self.statement = statement
        self.jti = jti
        self.expiresAt = expiresAt
    }
}
