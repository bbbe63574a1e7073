import CredenceCore
import CredencePostgres
import CredenceServer
import PostgresLibPQ

/// One worker's services over its own PostgreSQL connection. The connection
/// is opened lazily and re-established by libpq wrapper on the next call after
/// a loss, so a responder starts, and answers 503, while the database is down.
final class PostgresWorkerServices: WorkerServices {
    private let connection: PostgresConnection
    let signingKeyStore: any SigningKeyStore
    let clientStore: any ClientStore
    let replayStore: any ReplayStore
    let revokedTokenStore: any RevokedTokenStore
    let registrationStore: (any RegistrationStore)?

    init(configuration: CredenceConfiguration) {
        connection = PostgresConnection(configuration: configuration.postgresConfiguration)
        signingKeyStore = PostgresSigningKeyStore(connection: connection)
        clientStore = PostgresClientStore(connection: connection)
        replayStore = PostgresReplayStore(connection: connection)
        revokedTokenStore = PostgresRevokedTokenStore(connection: connection)
        registrationStore = PostgresRegistrationStore(connection: connection)
    }

    func databaseIsReachable() -> Bool {
        PostgresHealthCheck(connection: connection).isReachable
    }

    var databaseSessionIsOpen: Bool { connection.isConnected }
}
