import ArgumentParser
import CredencePostgres
import Foundation

/// `credence migrate`: applies the database migrations built into the binary.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (idempotent; safe to run from several hosts at once).",
        discussion: """
            All pending migrations run in one transaction (all or nothing) and are recorded in credence_schema_migrations with their checksums. An advisory lock keeps concurrent runs from racing. A migration that changed after it was applied, or a database migrated by a newer binary, stops the run with an error.
            """
    )

    @OptionGroup var options: ConfigurationOption

    @Flag(help: "Only print which migrations are applied and which are pending.")
    var status = false

    @Option(
        help: ArgumentHelp(
            "Read migrations from this directory instead of the built-in set (development).",
            valueName: "dir"
        )
    )
    var directory: String?

    func run() throws {
        let configuration = try options.load()
        let connection = try configuration.connectForCommand()
        do {
            let migrations =
                try directory.map { try MigrationSet.load(directory: URL(fileURLWithPath: $0)) } ?? .embedded()
            let runner = MigrationRunner(connection: connection, migrations: migrations)
            if status {
                for entry in try runner.status().entries {
                    print(String(format: "%04d  %-32@ %@", entry.version, entry.name, Self.describe(entry.state)))
                }
                return
            }
            let applied = try runner.migrate()
            if applied.isEmpty {
                print("database is up to date")
            } else {
                for migration in applied { print("applied \(migration.fileName)") }
            }
        } catch let error as MigrationError {
            printError(error.description)
            throw ExitCode(1)
        }
    }

    static func describe(_ state: MigrationStatus.State) -> String {
        switch state {
        case .applied(let at): "applied \(at)"
        case .pending: "pending"
        case .checksumMismatch(let at): "CHANGED since applied \(at)"
        case .unknownToThisBinary(let at): "applied \(at) by a newer binary"
        }
    }
}
