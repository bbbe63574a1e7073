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
    /// The registration store of this worker (`nil`: `/register` is not served).
    var registrationStore: (any RegistrationStore)? { get }
    /// Whether the database answers now (used by `/healthz`).
    func databaseIsReachable() -> Bool
    /// Whether this worker's database session is open right now, without
    /// asking the database (closed after a connection failure until a call
    /// opens it again). A session that a request opened again proves the
    /// database is back; `DatabaseOutageLog` ends an outage on it.
    var databaseSessionIsOpen: Bool { get }
}

extension WorkerServices {
    /// Services without a session to lose (in-memory ones) never see one reopen.
    public var databaseSessionIsOpen: Bool { true }

    /// Services without a registration store do not serve `/register`.
    public var registrationStore: (any RegistrationStore)? { nil }
}
