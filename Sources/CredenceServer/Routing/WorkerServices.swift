import CredenceCore

/// What one worker thread needs from the outside world: its own stores over
/// its own database connection. The executable builds PostgreSQL-backed
/// services per worker; tests pass in-memory ones.
public protocol WorkerServices: AnyObject {
    /// The signing-key store of this worker.
    var signingKeyStore: any SigningKeyStore { get }
    /// Whether the database answers now (used by `/healthz`).
    func databaseIsReachable() -> Bool
}
