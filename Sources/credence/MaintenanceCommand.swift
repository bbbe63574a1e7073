import ArgumentParser
import CredenceCore
import CredencePostgres
import CredenceServer
import Foundation

/// `credence maintenance`: the housekeeping the request path never does. Expired rows of
/// `used_jtis` (replay protection) and `revoked_tokens` (the deny list) are deleted in
/// bounded batches, each its own short statement, so a large backlog never holds locks or
/// bloats one transaction. Run it from a timer (README: systemd timer).
struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Delete expired replay-protection and revoked-token entries in bounded batches.",
        discussion: """
            An entry is deleted once it has been expired for longer than clock_skew_seconds: responders accept a token or assertion up to that long after its exp, so the entry must outlive it by as much. Each batch is one DELETE of at most --batch-size rows; batches repeat until none is left, then the counts are printed. Safe to run on several hosts at once and while responders serve (a live entry is never deleted). Retired signing keys are pruned by `credence keys prune`, not here.

            Run it every few minutes, e.g. from the systemd timer in the README. Exit status: 0 done; 1 a database error; 69 database unreachable; 78 unusable configuration.
            """
    )

    @OptionGroup var options: ConfigurationOption

    @Option(
        help: ArgumentHelp(
            "Rows deleted per statement, 1 to 100000.",
            discussion: "Smaller batches hold locks for less time; larger ones finish a backlog in fewer round trips.",
            valueName: "n"
        )
    )
    var batchSize = 1000

    func validate() throws {
        guard (1...100_000).contains(batchSize) else {
            throw ValidationError("--batch-size must be between 1 and 100000")
        }
    }

    func run() throws {
        let configuration = try options.load()
        let connection = try configuration.connectForCommand()
        let cutoff = Date().addingTimeInterval(-TimeInterval(configuration.clockSkewSeconds))
        let replays = PostgresReplayStore(connection: connection)
        let revoked = PostgresRevokedTokenStore(connection: connection)
        let jtis = try Self.purge("used_jtis", batchSize: batchSize) {
            try replays.deleteExpired(before: cutoff, limit: $0)
        }
        let tokens = try Self.purge("revoked_tokens", batchSize: batchSize) {
            try revoked.deleteExpired(before: cutoff, limit: $0)
        }
        print("used_jtis: deleted \(jtis.rows) expired row(s) in \(jtis.batches) batch(es)")
        print("revoked_tokens: deleted \(tokens.rows) expired row(s) in \(tokens.batches) batch(es)")
    }

    /// Deletes batch after batch until one comes back short.
    static func purge(
        _ table: String,
        batchSize: Int,
        _ deleteBatch: (Int) throws -> Int
    ) throws -> (
        rows: Int, batches: Int
    ) {
        var rows = 0
        var batches = 0
        while true {
            let deleted = try performStoreOperation("purge \(table)") { try deleteBatch(batchSize) }
            batches += 1
            rows += deleted
            if deleted < batchSize { return (rows, batches) }
        }
    }
}
