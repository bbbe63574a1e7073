import CredenceJSON
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

    /// ``verify(_:now:)``, calling `statementVerified` with the embedded statement as soon as
    /// it has verified: a request refused after that point is audited with the statement's
    /// `software_id`, `org_id`, `jti` and issuer.
    func verify(
        _ request: String,
        now: Date,
        statementVerified: (VerifiedSoftwareStatement) -> Void
    ) throws -> VerifiedRegistrationRequest
}

extension SignedRegistrationRequestVerifying {
    /// Verifiers that cannot tell when the statement verified report it with the result only.
    public func verify(
        _ request: String,
        now: Date,
        statementVerified: (VerifiedSoftwareStatement) -> Void
    ) throws -> VerifiedRegistrationRequest {
        let verified = try verify(request, now: now)
        statementVerified(verified.statement)
        return verified
    }
}
