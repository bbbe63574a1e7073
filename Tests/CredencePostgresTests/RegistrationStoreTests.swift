import CredenceCore
import CredenceJSON
import CredencePostgres
import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// `PostgresRegistrationStore` against real PostgreSQL: one transaction per registration, the
/// uniqueness indexes of migration 0004 under concurrency, replays, deletion and the audit trail.
@Suite("Postgres registration store")
struct RegistrationStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600)
    static let issuer = "https://directory.example"

    private func withSchema(_ body: (PostgresConfiguration, PostgresConnection) throws -> Void) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try MigrationRunner(connection: connection, migrations: try MigrationSet.embedded()).migrate()
            try body(configuration, connection)
        }
    }

    private func count(_ table: String, _ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM \(identifier: table)").first!.decode("n", as: Int.self)
    }

    static func registration(
        id: String = UUID().uuidString,
        softwareID: String = "software-1",
        statementJTI: String = UUID().uuidString,
        uniqueness: RegistrationPolicy.Uniqueness = .perSoftwareID,
        metadata extra: JSONObject = [:]
    ) throws -> NewRegistration {
        var metadata: JSONObject = [
            "token_endpoint_auth_method": "client_secret_basic", "software_id": .string(softwareID), "org_id": "org-1",
        ]
        for (name, value) in extra { metadata[name] = value }
        return NewRegistration(
            client: Client(
                clientID: id,
                metadata: try ClientMetadata(json: metadata),
                secretHash: "hmac-sha256:secret-\(id)",
                registrationAccessTokenHash: "hmac-sha256:rat-\(id)",
                createdAt: t0
            ),
            statementIssuer: issuer,
            statementJTI: statementJTI,
            uniqueness: uniqueness,
            signedRequest: false,
            usedJTIs: [RecordedJTI(issuer: issuer, jti: statementJTI, expiresAt: t0 + 3600)],
            audit: AuditEvent(
                occurredAt: t0,
                type: "client.registered",
                clientID: id,
                details: ["software_id": .string(softwareID), "decision": "registered"]
            )
        )
    }

    @Test func aRegistrationWritesTheClientTheJTIAndTheAuditRowTogether() throws {
        try withSchema { _, connection in
            let store = PostgresRegistrationStore(connection: connection)
            let registration = try Self.registration(id: "client-1")
            #expect(try store.register(registration) == .stored)
            let stored = try #require(try store.registration(clientID: "client-1"))
            #expect(stored.statementIssuer == Self.issuer)
            #expect(stored.statementJTI == registration.statementJTI)
            #expect(stored.client.registrationAccessTokenHash == "hmac-sha256:rat-client-1")
            #expect(try count("used_jtis", connection) == 1)
            let events = try store.auditEvents(clientID: "client-1", since: nil, limit: 10)
            #expect(events.map(\.type) == ["client.registered"])
            #expect(events[0].details["software_id"]?.stringValue == "software-1")
            // The same statement again is a replay; nothing more is written.
            var again = try Self.registration(id: "client-2", softwareID: "software-2")
            again.usedJTIs = registration.usedJTIs
            #expect(try store.register(again) == .replayed(registration.usedJTIs[0]))
            #expect(try count("clients", connection) == 1)
            #expect(try count("audit_events", connection) == 1)
        }
    }

    @Test func aFailingLaterStepLeavesNothingWritten() throws {
        try withSchema { _, connection in
            let store = PostgresRegistrationStore(connection: connection)
            // The jti insert succeeds, then the client insert fails (a lifetime the CHECK refuses).
            var registration = try Self.registration(id: "client-1")
            registration.client.accessTokenLifetimeSeconds = 0
            #expect(throws: StoreError.self) { try store.register(registration) }
            #expect(try count("used_jtis", connection) == 0)
            #expect(try count("clients", connection) == 0)
            #expect(try count("audit_events", connection) == 0)
            // The connection is usable afterwards and the same registration then succeeds.
            registration.client.accessTokenLifetimeSeconds = nil
            #expect(try store.register(registration) == .stored)
        }
    }

    @Test(arguments: [RegistrationPolicy.Uniqueness.perSoftwareID, .perStatement])
    func ofTwoConcurrentRegistrationsExactlyOneSucceeds(uniqueness: RegistrationPolicy.Uniqueness) throws {
        try withSchema { configuration, connection in
            let rounds = 8
            for round in 0..<rounds {
                let softwareID = "software-\(round)"
                let jti = "shared-jti-\(round)"
                let outcomes = ConcurrentOutcomes()
                let group = DispatchGroup()
                for worker in 0..<2 {
                    var registration = try Self.registration(
                        id: "client-\(round)-\(worker)",
                        softwareID: softwareID,
                        statementJTI: uniqueness == .perStatement ? jti : "jti-\(round)-\(worker)",
                        uniqueness: uniqueness
                    )
                    // No used_jtis entry: only the uniqueness index may decide.
                    registration.usedJTIs = []
                    let sendable = UncheckedBox(registration)
                    group.enter()
                    Thread {
                        defer { group.leave() }
                        let own = PostgresConnection(configuration: configuration)
                        defer { own.close() }
                        outcomes.append(
                            Result { try PostgresRegistrationStore(connection: own).register(sendable.value) }
                        )
                    }.start()
                }
                group.wait()
                let results = outcomes.values.compactMap { try? $0.get() }
                #expect(results.count == 2)
                #expect(results.filter { $0 == .stored }.count == 1)
                #expect(results.filter { $0 == .alreadyRegistered }.count == 1)
            }
            #expect(try count("clients", connection) == rounds)
            #expect(try count("audit_events", connection) == rounds)
        }
    }

    @Test func afterADeletionTheSoftwareRegistersAgain() throws {
        try withSchema { _, connection in
            let store = PostgresRegistrationStore(connection: connection)
            #expect(try store.register(Self.registration(id: "first")) == .stored)
            #expect(try store.register(Self.registration(id: "second")) == .alreadyRegistered)
            let deletion = AuditEvent(occurredAt: Self.t0 + 1, type: "client.deleted", clientID: "first", details: [:])
            #expect(try store.delete(clientID: "first", audit: deletion))
            #expect(try !store.delete(clientID: "first", audit: deletion))
            #expect(try store.register(Self.registration(id: "second")) == .stored)
            // `many` never conflicts.
            #expect(try store.register(Self.registration(id: "third", uniqueness: .many)) == .stored)
            #expect(try store.register(Self.registration(id: "fourth", uniqueness: .many)) == .stored)
            let types = try store.auditEvents(clientID: nil, since: nil, limit: 100).map(\.type)
            #expect(types.filter { $0 == "client.deleted" }.count == 1)
            #expect(
                try store.auditEvents(clientID: nil, since: Self.t0 + 1, limit: 100).map(\.type) == ["client.deleted"]
            )
        }
    }

    @Test func aReplacementKeepsTheStatementColumnsAndRecordsTheRequestJTI() throws {
        try withSchema { _, connection in
            let store = PostgresRegistrationStore(connection: connection)
            let registration = try Self.registration(id: "client-1")
            #expect(try store.register(registration) == .stored)
            var client = registration.client
            client.metadata = try ClientMetadata(json: [
                "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://keys.example/jwks",
                "software_id": "software-1",
            ])
            client.secretHash = nil
            client.updatedAt = Self.t0 + 10
            let jti = RecordedJTI(issuer: "software-1", jti: "req-1", expiresAt: Self.t0 + 300)
            let event = AuditEvent(occurredAt: Self.t0 + 10, type: "client.updated", clientID: "client-1", details: [:])
            #expect(try store.replace(client, requestJTI: jti, audit: event) == .stored)
            #expect(try store.replace(client, requestJTI: jti, audit: event) == .replayed(jti))
            let stored = try #require(try store.registration(clientID: "client-1"))
            #expect(stored.client.authenticationMethod == .privateKeyJWT)
            #expect(stored.statementIssuer == Self.issuer)
            var gone = client
            gone.clientID = "nobody"
            #expect(try store.replace(gone, requestJTI: nil, audit: nil) == .clientGone)
            #expect(try store.auditEvents(clientID: "client-1", since: nil, limit: 10).count == 2)
        }
    }
}

/// Results gathered from threads.
private final class ConcurrentOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<RegistrationOutcome, any Error>] = []

    func append(_ result: Result<RegistrationOutcome, any Error>) {
        lock.withLock { results.append(result) }
    }

    var values: [Result<RegistrationOutcome, any Error>] { lock.withLock { results } }
}

/// Hands a value to a thread.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
