import ArgumentParser
import CredenceServer
import PostgresLibPQ

extension CredenceConfiguration {
    /// The libpq settings for one connection of this process.
    var postgresConfiguration: PostgresConfiguration {
        var settings = PostgresConfiguration(conninfo: database.url.revealed)
        settings.connectTimeoutSeconds = database.connectTimeoutSeconds
        return settings
    }

    /// How `database.url` reaches the server, as libpq reads it; `nil` when libpq cannot parse it.
    var databaseTransportSecurity: PostgresTransportSecurity? {
        PostgresTransportSecurity(conninfo: database.url.revealed)
    }

    /// What to warn about the connection's protection (TCP over a network without
    /// `sslmode=verify-full`, or `require` without database.sslmode_require_reason), if anything.
    var databaseTransportWarning: String? {
        databaseTransportSecurity?.warning(requireReasonGiven: database.sslmodeRequireReason != nil)
    }

    /// Opens a connection for a command-line tool, or exits 69 (EX_UNAVAILABLE)
    /// with the reason when the database cannot be reached.
    func connectForCommand() throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: postgresConfiguration)
        do {
            try connection.connect()
        } catch {
            printError("cannot connect to the database: \(error.description)")
            throw ExitCode(69)
        }
        return connection
    }
}
