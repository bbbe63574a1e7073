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
