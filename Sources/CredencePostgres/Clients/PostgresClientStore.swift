import CredenceCore
import CredenceJSON
import Foundation
import PostgresLibPQ

/// `ClientStore` over the `clients` table. `metadata` (jsonb) is the source of truth for
/// what the client registered; the other columns are copies the database indexes and
/// constrains (the method, the software id, the subject DN), hashes of secrets, and the
/// operator's settings. Owned by one worker, like its connection.
///
/// The lookup by id is on the path of every token request: one prepared statement on the
/// primary key, one round trip. jsonb keeps every string and member name byte for byte but
/// writes numbers in PostgreSQL's `numeric` form (`1e2` reads back as `100`), and it cannot
/// hold U+0000: metadata with a NUL anywhere is refused with `failed`.
public struct PostgresClientStore: ClientStore {
    /// The worker's connection.
    public let connection: PostgresConnection

    /// A store over `connection`.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public func client(id clientID: String) throws(StoreError) -> Client? {
        // An id the column cannot hold (NUL, empty, over 256 characters) names no client:
        // answer without asking, so hostile input never becomes a database error.
        guard Self.isStorableIdentifier(clientID, maxCharacters: 256) else { return nil }
        return try storeOperation("read client") {
            try connection.query(
                """
                SELECT client_id, client_secret_hash, token_endpoint_auth_method, registration_access_token_hash,
                       access_token_lifetime_seconds, metadata, created_at, updated_at
                FROM clients WHERE client_id = \(clientID)
                """,
                idempotent: true
            ).first.map(Client.init(row:))
        }
    }

    public func allClients() throws(StoreError) -> [Client] {
        try storeOperation("read clients") {
            try connection.query(
                """
                SELECT client_id, client_secret_hash, token_endpoint_auth_method, registration_access_token_hash,
                       access_token_lifetime_seconds, metadata, created_at, updated_at
                FROM clients ORDER BY created_at, client_id COLLATE "C"
                """,
                idempotent: true
            ).map(Client.init(row:))
        }
    }

    public func insert(_ client: Client) throws(StoreError) {
        let metadata = try Self.storableMetadata(client)
        try storeOperation("insert client") {
            try connection.execute(
                """
                INSERT INTO clients (client_id, client_secret_hash, token_endpoint_auth_method, software_id,
                                     software_statement_issuer, software_statement_org_id,
                                     tls_client_auth_subject_dn, registration_access_token_hash,
                                     access_token_lifetime_seconds, metadata, created_at, updated_at)
                VALUES (\(client.clientID), \(client.secretHash), \(client.authenticationMethod.rawValue),
                        \(client.softwareID), NULL, \(Self.organizationID(client)),
                        \(client.metadata.subjectDN), \(client.registrationAccessTokenHash),
                        \(client.accessTokenLifetimeSeconds), \(metadata), \(client.createdAt), \(client.updatedAt))
                """
            )
        }
    }

    public func update(_ client: Client) throws(StoreError) {
        let metadata = try Self.storableMetadata(client)
        let updated = try storeOperation("update client") {
            try connection.execute(
                """
                UPDATE clients
                SET client_secret_hash = \(client.secretHash),
                    token_endpoint_auth_method = \(client.authenticationMethod.rawValue),
                    software_id = \(client.softwareID),
                    software_statement_org_id = \(Self.organizationID(client)),
                    tls_client_auth_subject_dn = \(client.metadata.subjectDN),
                    registration_access_token_hash = \(client.registrationAccessTokenHash),
                    access_token_lifetime_seconds = \(client.accessTokenLifetimeSeconds),
                    metadata = \(metadata),
                    updated_at = \(client.updatedAt)
                WHERE client_id = \(client.clientID)
                """
            )
        }
        guard updated == 1 else { throw StoreError.notFound("no client with that id") }
    }

    public func delete(id clientID: String) throws(StoreError) -> Bool {
        guard Self.isStorableIdentifier(clientID, maxCharacters: 256) else { return false }
        return try storeOperation("delete client") {
            try connection.execute("DELETE FROM clients WHERE client_id = \(clientID)") == 1
        }
    }

    /// `org_id` of the metadata (Open Banking's organisation id), when it is a string.
    static func organizationID(_ client: Client) -> String? {
        client.metadata.json["org_id"]?.stringValue
    }

    /// The metadata as jsonb, or `failed` when jsonb cannot hold it (U+0000 in a string
    /// or a member name).
    static func storableMetadata(_ client: Client) throws(StoreError) -> PostgresJSON {
        let value = JSONValue.object(client.metadata.json)
        guard !value.containsNUL else {
            throw StoreError.failed("client metadata with U+0000 cannot be stored")
        }
        return PostgresJSON(value.serializedString())
    }

    /// Whether a `text` column limited to `maxCharacters` can hold `value`: no NUL (which
    /// PostgreSQL text cannot hold), between 1 and `maxCharacters` characters (code points,
    /// as PostgreSQL's `length` counts them).
    static func isStorableIdentifier(_ value: String, maxCharacters: Int) -> Bool {
        guard !value.utf8.contains(0) else { return false }
        let count = value.unicodeScalars.count
        return count >= 1 && count <= maxCharacters
    }
}

extension Client {
    /// Reads a `clients` row. The metadata is parsed and checked again (it is the source of
    /// truth); a row whose method column disagrees with its metadata was edited by hand
    /// and is refused as `corruptRecord` rather than guessed at.
    init(row: PostgresRow) throws {
        let clientID: String = try row.decode("client_id")
        let text = try row.decode("metadata", as: PostgresJSON.self).text
        let metadata: ClientMetadata
        do {
            let object = try JSONObject.parse(
                Array(text.utf8),
                limits: JSONLimits(maxBytes: 64 << 20, maxDepth: JSONLimits.depthCeiling)
            )
            metadata = try ClientMetadata(json: object)
        } catch {
            throw StoreError.corruptRecord("client metadata does not read back as valid client metadata")
        }
        let method = try row.decodeEnum("token_endpoint_auth_method", as: ClientAuthenticationMethod.self)
        guard method == metadata.authenticationMethod else {
            throw StoreError.corruptRecord("client token_endpoint_auth_method column disagrees with its metadata")
        }
        self.init(
            clientID: clientID,
            metadata: metadata,
            secretHash: try row.decode("client_secret_hash"),
            registrationAccessTokenHash: try row.decode("registration_access_token_hash"),
            accessTokenLifetimeSeconds: try row.decode("access_token_lifetime_seconds"),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at")
        )
    }
}

extension JSONValue {
    /// Whether U+0000 occurs in a string or a member name anywhere in the value (jsonb
    /// refuses it).
    var containsNUL: Bool {
        switch self {
        case .string(let text):
            return text.utf8.contains(0)
        case .array(let elements):
            return elements.contains { $0.containsNUL }
        case .object(let object):
            return object.contains { $0.name.utf8.contains(0) || $0.value.containsNUL }
        default:
            return false
        }
    }
}
