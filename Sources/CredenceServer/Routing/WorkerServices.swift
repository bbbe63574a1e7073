import CredenceCore

/// What one worker thread needs from the outside world: its own stores over
/// its own database connection. The executable builds PostgreSQL-backed
/// services per worker; tests pass in-memory ones.
public protocol WorkerServices: AnyObject {
    /// The signing-key store of this worker.
    var signingKeyStore: any SigningKeyStore { get }
    /// The client store of this worker.
    var clientStore: any ClientStore { get }
    /// The replay table (`jti`s of client assertions) of this worker.
    var replayStore: any ReplayStore { get }
    /// The revoked-token deny list of this worker.
    var revokedTokenStore: any RevokedTokenStore { get }
    /// Whether the database answers now (used by `/healthz`).
    func databaseIsReachable() -> Bool
}
