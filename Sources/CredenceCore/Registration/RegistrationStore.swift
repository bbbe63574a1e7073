public import Foundation

/// Persistence of dynamic registrations (RFC 7591, RFC 7592), each write one transaction: the
/// statement's and the signed request's `jti`s, the client row with its hashed secret and
/// hashed registration access token, the statement's issuer and `jti`, the uniqueness the
/// policy asks (enforced by a database constraint, so concurrent registrations cannot both
/// win) and the audit row; all of it or nothing. Implemented over PostgreSQL in
/// `CredencePostgres` and in memory in `CredenceTesting`; each worker owns one.
public protocol RegistrationStore: AuditLog {
    /// Writes a new registration; the outcome says which rule refused it, if one did.
    func register(_ registration: NewRegistration) throws -> RegistrationOutcome
    /// The registration of `clientID` (clients created by an operator too, with no statement).
    func registration(clientID: String) throws -> StoredRegistration?
    /// Replaces a registered client's metadata, secret hash and registration access token hash
    /// (RFC 7592 §2.2), recording the signed request's `jti` and the audit event with it.
    func replace(_ client: Client, requestJTI: RecordedJTI?, audit: AuditEvent?) throws -> RegistrationOutcome
    /// Deletes a client (RFC 7592 §2.3) with its audit event; returns whether it existed.
    func delete(clientID: String, audit: AuditEvent) throws -> Bool
    /// Records an event outside any registration (a refusal).
    func record(_ event: AuditEvent) throws
}

/// A `jti` to record in `used_jtis` with the registration (RFC 7591 §2.3 statements, OB UK
/// signed requests), scoped to `issuer`, until `expiresAt`.
public struct RecordedJTI: Sendable, Hashable {
    /// Who minted it: the statement's `iss`, or the software id for a signed request.
    public var issuer: String
    /// The `jti`.
    public var jti: String
    /// Until when it is remembered.
    public var expiresAt: Date

    /// Creates the value.
    public init(issuer: String, jti: String, expiresAt: Date) {
        self.issuer = issuer
        self.jti = jti
        self.expiresAt = expiresAt
    }
}

/// What a registration writes.
public struct NewRegistration: Sendable {
    /// The client, with the hashes of its secret and registration access token.
    public var client: Client
    /// The statement's `iss`, when registered with a statement.
    public var statementIssuer: String?
    /// The statement's `jti`, when it has one.
    public var statementJTI: String?
    /// Uniqueness to enforce (with a statement only).
    public var uniqueness: RegistrationPolicy.Uniqueness?
    /// Whether the registration came as a signed request (updates must come so too).
    public var signedRequest: Bool
    /// `jti`s to record in `used_jtis` (the statement's while unexpired, the request's).
    public var usedJTIs: [RecordedJTI]
    /// The audit event of the registration.
    public var audit: AuditEvent

    /// Creates the value.
    public init(
        client: Client,
        statementIssuer: String?,
        statementJTI: String?,
        uniqueness: RegistrationPolicy.Uniqueness?,
        signedRequest: Bool,
        usedJTIs: [RecordedJTI],
        audit: AuditEvent
    ) {
        self.client = client
        self.statementIssuer = statementIssuer
        self.statementJTI = statementJTI
        self.uniqueness = uniqueness
        self.signedRequest = signedRequest
        self.usedJTIs = usedJTIs
        self.audit = audit
    }
}

/// A stored registration: the client and what the registration recorded beside it.
public struct StoredRegistration: Sendable {
    /// The client.
    public var client: Client
    /// The statement's issuer, when registered with a statement.
    public var statementIssuer: String?
    /// The statement's `jti`.
    public var statementJTI: String?
    /// Whether it was registered with a signed request.
    public var signedRequest: Bool

    /// Creates the value.
    public init(client: Client, statementIssuer: String?, statementJTI: String?, signedRequest: Bool) {
        self.client = client
        self.statementIssuer = statementIssuer
        self.statementJTI = statementJTI
        self.signedRequest = signedRequest
    }
}

/// How a registration write ended; everything but `stored` wrote nothing.
public enum RegistrationOutcome: Sendable, Hashable {
    /// Written.
    case stored
    /// A `jti` in ``NewRegistration/usedJTIs`` was already used (the one named).
    case replayed(RecordedJTI)
    /// The uniqueness constraint refused: another client holds this software id (or statement).
    case alreadyRegistered
    /// The client to replace no longer exists.
    case clientGone
}
