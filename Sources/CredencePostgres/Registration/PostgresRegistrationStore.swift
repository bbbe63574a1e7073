import CredenceCore
import CredenceJSON
import Foundation
import PostgresLibPQ

/// `RegistrationStore` over `clients`, `used_jtis` and `audit_events`: each registration,
/// update and deletion is one transaction (the `jti` inserts, the client row, the audit row),
/// so a failure at any step leaves nothing written. Uniqueness is the database's: the partial
/// unique indexes of migration 0004 make the second of two concurrent registrations of one
/// `software_id` (or statement) wait for the first's commit and then insert nothing. Owned by
/// one worker, like its connection.
public struct PostgresRegistrationStore: RegistrationStore {
    /// The worker's connection.
    public let connection: PostgresConnection

    /// A store over `connection`.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Ends a transaction without writing, with the outcome to report.
    private struct Rollback: Error {
        let outcome: RegistrationOutcome
    }

    /// Records each `jti` inside the caller's transaction; the first one already used (and
    /// unexpired) rolls the transaction back as `.replayed`.
    private static func recordFirstUse(_ entries: [RecordedJTI], now: Date, _ connection: PostgresConnection) throws {
        let replays = PostgresReplayStore(connection: connection)
        for entry in entries {
            guard try replays.recordFirstUse(issuer: entry.issuer, jti: entry.jti, expiresAt: entry.expiresAt, now: now)
            else { throw Rollback(outcome: .replayed(entry)) }
        }
    }

    public func register(_ registration: NewRegistration) throws(StoreError) -> RegistrationOutcome {
        let client = registration.client
        let metadata = try PostgresClientStore.storableMetadata(client)
        let audit = Self.storableDetails(registration.audit)
        return try storeOperation("register client") {
            do {
                return try connection.transaction { connection in
                    try Self.recordFirstUse(registration.usedJTIs, now: client.createdAt, connection)
                    // ON CONFLICT DO NOTHING: the only conflict a fresh 128-bit client id and a
                    // 256-bit registration access token can meet is a uniqueness index.
                    let inserted = try connection.execute(
                        """
                        INSERT INTO clients (client_id, client_secret_hash, token_endpoint_auth_method, software_id,
                                             software_statement_issuer, software_statement_org_id,
                                             tls_client_auth_subject_dn, registration_access_token_hash,
                                             access_token_lifetime_seconds, metadata, created_at, updated_at,
                                             software_statement_jti, registration_uniqueness, signed_registration)
                        VALUES (\(client.clientID), \(client.secretHash), \(client.authenticationMethod.rawValue),
                                \(client.softwareID), \(registration.statementIssuer),
                                \(PostgresClientStore.organizationID(client)), \(client.metadata.subjectDN),
                                \(client.registrationAccessTokenHash), \(client.accessTokenLifetimeSeconds),
                                \(metadata), \(client.createdAt), \(client.updatedAt),
                                \(registration.statementJTI), \(registration.uniqueness?.rawValue),
                                \(registration.signedRequest))
                        ON CONFLICT DO NOTHING
                        """
                    )
                    guard inserted == 1 else { throw Rollback(outcome: .alreadyRegistered) }
                    try Self.insert(registration.audit, details: audit, connection)
                    return .stored
                }
            } catch let rollback as Rollback {
                return rollback.outcome
            }
        }
    }

    public func registration(clientID: String) throws(StoreError) -> StoredRegistration? {
        guard PostgresClientStore.isStorableIdentifier(clientID, maxCharacters: 256) else { return nil }
        return try storeOperation("read registration") {
            guard
                let row = try connection.query(
                    """
                    SELECT client_id, client_secret_hash, token_endpoint_auth_method, registration_access_token_hash,
                           access_token_lifetime_seconds, metadata, created_at, updated_at,
                           software_statement_issuer, software_statement_jti, signed_registration
                    FROM clients WHERE client_id = \(clientID)
                    """,
                    idempotent: true
                ).first
            else { return nil }
            return StoredRegistration(
                client: try Client(row: row),
                statementIssuer: try row.decode("software_statement_issuer"),
                statementJTI: try row.decode("software_statement_jti"),
                signedRequest: try row.decode("signed_registration")
            )
        }
    }

    public func replace(
        _ client: Client,
        requestJTI: RecordedJTI?,
        audit: AuditEvent?
    ) throws(StoreError)
        -> RegistrationOutcome
    {
        let metadata = try PostgresClientStore.storableMetadata(client)
        return try storeOperation("replace client") {
            do {
                return try connection.transaction { connection in
                    try Self.recordFirstUse(requestJTI.map { [$0] } ?? [], now: client.updatedAt, connection)
                    let updated = try connection.execute(
                        """
                        UPDATE clients
                        SET client_secret_hash = \(client.secretHash),
                            token_endpoint_auth_method = \(client.authenticationMethod.rawValue),
                            software_statement_org_id = \(PostgresClientStore.organizationID(client)),
                            tls_client_auth_subject_dn = \(client.metadata.subjectDN),
                            registration_access_token_hash = \(client.registrationAccessTokenHash),
                            metadata = \(metadata),
                            updated_at = \(client.updatedAt)
                        WHERE client_id = \(client.clientID)
                        """
                    )
                    guard updated == 1 else { throw Rollback(outcome: .clientGone) }
                    if let audit { try Self.insert(audit, details: Self.storableDetails(audit), connection) }
                    return .stored
                }
            } catch let rollback as Rollback {
                return rollback.outcome
            }
        }
    }

    public func delete(clientID: String, audit: AuditEvent) throws(StoreError) -> Bool {
        guard PostgresClientStore.isStorableIdentifier(clientID, maxCharacters: 256) else { return false }
        return try storeOperation("delete client") {
            try connection.transaction { connection in
                guard try connection.execute("DELETE FROM clients WHERE client_id = \(clientID)") == 1 else {
                    return false
                }
                try Self.insert(audit, details: Self.storableDetails(audit), connection)
                return true
            }
        }
    }

    public func record(_ event: AuditEvent) throws(StoreError) {
        try storeOperation("record audit event") {
            try Self.insert(event, details: Self.storableDetails(event), connection)
        }
    }

    public func auditEvents(clientID: String?, since: Date?, limit: Int) throws(StoreError) -> [AuditEvent] {
        guard limit > 0 else { return [] }
        if let clientID, !PostgresClientStore.isStorableIdentifier(clientID, maxCharacters: Int.max) { return [] }
        return try storeOperation("read audit events") {
            try connection.query(
                """
                SELECT id, occurred_at, event_type, client_id, details FROM audit_events
                WHERE (\(clientID)::text IS NULL OR client_id = \(clientID))
                  AND (\(since)::timestamptz IS NULL OR occurred_at >= \(since))
                ORDER BY occurred_at, id
                LIMIT \(limit)
                """,
                idempotent: true
            ).map { row in
                let text = try row.decode("details", as: PostgresJSON.self).text
                guard let details = try? JSONObject.parse(Array(text.utf8), limits: JSONLimits(maxBytes: 1 << 24))
                else { throw StoreError.corruptRecord("audit event details are not a JSON object") }
                return AuditEvent(
                    id: try row.decode("id"),
                    occurredAt: try row.decode("occurred_at"),
                    type: try row.decode("event_type"),
                    clientID: try row.decode("client_id"),
                    details: details
                )
            }
        }
    }

    private static func insert(_ event: AuditEvent, details: PostgresJSON, _ connection: PostgresConnection) throws {
        try connection.execute(
            """
            INSERT INTO audit_events (occurred_at, event_type, client_id, details)
            VALUES (\(event.occurredAt), \(event.type), \(event.clientID.map(Self.withoutNUL)), \(details))
            """
        )
    }

    /// The details as jsonb; U+0000 (which jsonb cannot hold, and which a hostile statement
    /// could carry) becomes U+FFFD, so an audit row is never the reason a request fails.
    private static func storableDetails(_ event: AuditEvent) -> PostgresJSON {
        let value = JSONValue.object(event.details)
        guard value.containsNUL else { return PostgresJSON(value.serializedString()) }
        return PostgresJSON(value.replacingNUL().serializedString())
    }

    private static func withoutNUL(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : Character($0) })
    }
}

extension JSONValue {
    /// The value with U+0000 replaced by U+FFFD in every string and member name.
    fileprivate func replacingNUL() -> JSONValue {
        switch self {
        case .string(let text):
            return .string(String(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : Character($0) }))
        case .array(let elements):
            return .array(elements.map { $0.replacingNUL() })
        case .object(let object):
            var result = JSONObject()
            for (name, value) in object {
                result[String(name.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : Character($0) })] =
                    value.replacingNUL()
            }
            return .object(result)
        default:
            return self
        }
    }
}
