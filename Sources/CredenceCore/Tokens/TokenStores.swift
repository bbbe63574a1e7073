public import Foundation

/// Replay protection for one-time JWTs (RFC 7523 §3 client assertions, signed registration
/// requests, software statements): a `jti` is accepted once per issuer until it expires.
/// Implementations make the insert itself the check (a unique key), so every responder
/// process on every host agrees without a read-then-write race.
public protocol ReplayStore {
    /// Records the first use of `jti` from `issuer`; returns `false` when it was already
    /// used and has not expired.
    func recordFirstUse(issuer: String, jti: String, expiresAt: Date, now: Date) throws -> Bool
    /// Deletes at most `limit` entries that expired before `now`; returns how many.
    func deleteExpired(before now: Date, limit: Int) throws -> Int
}

/// The deny list of revoked access tokens (RFC 7009), by `jti`, kept until each token
/// would have expired anyway.
public protocol RevokedTokenStore {
    /// Adds `jti` to the deny list (revoking twice changes nothing).
    func revoke(jti: String, clientID: String, expiresAt: Date, now: Date) throws
    /// Whether `jti` is on the deny list.
    func isRevoked(jti: String) throws -> Bool
    /// Deletes at most `limit` entries whose token expired before `now`; returns how many.
    func deleteExpired(before now: Date, limit: Int) throws -> Int
}
