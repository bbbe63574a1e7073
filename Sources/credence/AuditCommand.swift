import ArgumentParser
import CredenceCore
import CredenceJSON
import CredencePostgres
import CredenceServer
import Foundation

/// `credence audit`: the audit trail of dynamic registration (registrations, updates,
/// deletions, refusals), for operators and auditors. It never holds a secret or a token.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit trail of client registrations, updates, deletions and refusals.",
        subcommands: [List.self]
    )

    /// `credence audit list [--client ID] [--since T]`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List audit events, oldest first.",
            discussion: """
                Each line: time, event type, client id, then the details (who: actor_client_id and certificate_sha256; the statement: software_id, org_id, statement_jti, statement_issuer; decision, rule and error). --json prints one JSON array. Exit status: 0 done; 1 a database error; 69 database unreachable; 78 unusable configuration.
                """
        )

        @OptionGroup var options: ConfigurationOption

        @Option(name: .customLong("client"), help: ArgumentHelp("Only this client's events.", valueName: "client-id"))
        var clientID: String?

        @Option(
            help: ArgumentHelp(
                "Only events at or after this instant (ISO 8601, e.g. 2026-01-01T00:00:00Z).",
                valueName: "time"
            )
        )
        var since: String?

        @Option(help: ArgumentHelp("At most this many events, 1 to 100000.", valueName: "n"))
        var limit = 1000

        @Flag(help: "Print one JSON array instead of lines.")
        var json = false

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
            if let since, Self.parseTime(since) == nil {
                throw ValidationError("--since must be an ISO 8601 instant such as 2026-01-01T00:00:00Z")
            }
        }

        static func parseTime(_ text: String) -> Date? {
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text)
        }

        func run() throws {
            let configuration = try options.load()
            let store = PostgresRegistrationStore(connection: try configuration.connectForCommand())
            let events = try performStoreOperation("read audit events") {
                try store.auditEvents(clientID: clientID, since: since.flatMap(Self.parseTime), limit: limit)
            }
            let formatter = ISO8601DateFormatter()
            if json {
                printJSON(
                    .array(
                        events.map { event in
                            var object: JSONObject = [
                                "id": JSONValue(event.id ?? 0),
                                "occurred_at": .string(formatter.string(from: event.occurredAt)),
                                "event_type": .string(event.type),
                            ]
                            object["client_id"] = event.clientID.map(JSONValue.string) ?? .null
                            object["details"] = .object(event.details)
                            return .object(object)
                        }
                    )
                )
                return
            }
            if events.isEmpty {
                print("no audit events")
                return
            }
            for event in events {
                print(
                    formatter.string(from: event.occurredAt) + "  "
                        + event.type.padding(toLength: 22, withPad: " ", startingAt: 0) + " "
                        + terminalSafe(event.clientID ?? "-").padding(toLength: 24, withPad: " ", startingAt: 0) + " "
                        + terminalSafe(JSONValue.object(event.details).serializedString())
                )
            }
        }
    }
}
