import CredenceCore
import CredenceJSON
import CredencePostgres
import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// `PostgresClientStore`: a client reads back as it was stored, the id is compared by bytes,
/// and the table's rules hold.
@Suite("Postgres client store")
struct ClientStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func metadata(_ text: String) throws -> ClientMetadata {
        try ClientMetadata(json: try JSONObject.parse(text))
    }

    static func client(
        _ id: String,
        _ metadataText: String = #"{"token_endpoint_auth_method":"client_secret_basic","scope":"accounts"}"#,
        secretHash: String? = "hmac-sha256:AAAA",
        createdAt: Date = t0
    ) throws -> Client {
        Client(clientID: id, metadata: try metadata(metadataText), secretHash: secretHash, createdAt: createdAt)
    }

    /// Runs `body` with a store over a migrated, empty schema.
    private func withStore(_ body: (PostgresClientStore, PostgresConnection) throws -> Void) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try MigrationRunner(connection: connection, migrations: try MigrationSet.embedded()).migrate()
            try body(PostgresClientStore(connection: connection), connection)
        }
    }

    @Test func clientReadsBackWithEveryFieldAndItsMetadataExactly() throws {
        try withStore { store, connection throws in
            // Strings that Unicode normalization would merge (NFC é, NFD e + U+0301, the
            // Kelvin sign), escapes, a number beyond Int64 and a decimal with its scale,
            // unknown members and nesting: all must come back exactly.
            let text = #"""
                {"token_endpoint_auth_method":"tls_client_auth",
                 "tls_client_auth_subject_dn":"CN=tpp.example,O=Example Bank,C=GB",
                 "tls_client_certificate_bound_access_tokens":true,
                 "scope":"accounts payments DynamicClientRegistration",
                 "grant_types":["client_credentials"],
                 "client_name":"Caf\u00e9", "client_name#fr":"Cafe\u0301", "kelvin":"\u212A",
                 "line":"a\u2028b\"c\\d\/e\u0001", "emoji":"🏦",
                 "software_id":"sw-1", "org_id":"org-42",
                 "big":123456789012345678901234567890, "price":1.50, "nothing":null, "no":false,
                 "nested":{"list":[1,"two",{"three":[3]}],"empty":{}}, "ключ":"значение"}
                """#
            var original = Client(
                clientID: "client-1",
                metadata: try Self.metadata(text),
                secretHash: nil,
                registrationAccessTokenHash: "hmac-sha256:rat",
                accessTokenLifetimeSeconds: 900,
                createdAt: Self.t0,
                updatedAt: Self.t0 + 5
            )
            try store.insert(original)
            let back = try #require(try store.client(id: "client-1"))
            #expect(back == original)
            #expect(back.metadata.json == original.metadata.json)
            #expect(back.metadata.json.count == original.metadata.json.count)
            // Byte for byte: NFC and NFD stay different.
            func bytes(_ name: String) -> [UInt8]? { back.metadata.json[name]?.stringValue.map { Array($0.utf8) } }
            #expect(bytes("client_name") == Array("Caf\u{E9}".utf8))
            #expect(bytes("client_name#fr") == Array("Cafe\u{301}".utf8))
            #expect(bytes("kelvin") == [0xE2, 0x84, 0xAA])
            #expect(bytes("line") == Array("a\u{2028}b\"c\\d/e\u{1}".utf8))
            #expect(back.metadata.json["big"]?.numberValue?.text == "123456789012345678901234567890")
            #expect(back.metadata.json["price"]?.numberValue?.text == "1.50")
            #expect(back.metadata.subjectDN == "CN=tpp.example,O=Example Bank,C=GB")
            #expect(back.metadata.certificateBoundAccessTokens)
            #expect(back.accessTokenLifetimeSeconds == 900)
            #expect(back.registrationAccessTokenHash == "hmac-sha256:rat")
            #expect(back.updatedAt == Self.t0 + 5)

            // The indexed copies of the metadata.
            let row = try #require(
                try connection.query(
                    """
                    SELECT token_endpoint_auth_method, software_id, software_statement_issuer,
                           software_statement_org_id, tls_client_auth_subject_dn
                    FROM clients WHERE client_id = 'client-1'
                    """
                ).first
            )
            #expect(try row.decode("token_endpoint_auth_method", as: String.self) == "tls_client_auth")
            #expect(try row.decode("software_id", as: String?.self) == "sw-1")
            #expect(try row.decode("software_statement_issuer", as: String?.self) == nil)
            #expect(try row.decode("software_statement_org_id", as: String?.self) == "org-42")
            #expect(
                try row.decode("tls_client_auth_subject_dn", as: String?.self) == "CN=tpp.example,O=Example Bank,C=GB"
            )

            // A client without the optional fields reads back with them absent.
            original = try Self.client("client-2")
            try store.insert(original)
            let plain = try #require(try store.client(id: "client-2"))
            #expect(plain == original)
            #expect(plain.accessTokenLifetimeSeconds == nil && plain.registrationAccessTokenHash == nil)
        }
    }

    @Test func numbersComeBackInNumericForm() throws {
        // jsonb stores numbers as numeric: the value survives, an exponent spelling does not.
        try withStore { store, _ throws in
            let text = #"{"token_endpoint_auth_method":"client_secret_post","n":1e2,"m":-0}"#
            try store.insert(try Self.client("numbers", text))
            let back = try #require(try store.client(id: "numbers"))
            #expect(back.metadata.json["n"]?.numberValue?.int64Value == 100)
            #expect(back.metadata.json["m"]?.numberValue?.int64Value == 0)
        }
    }

    @Test func idsAreComparedByBytes() throws {
        try withStore { store, _ throws in
            try store.insert(try Self.client("client-K"))
            // U+212A KELVIN SIGN is canonically equivalent to K: Swift's == says equal, the store must not.
            #expect(try store.client(id: "client-\u{212A}") == nil)
            #expect(try store.client(id: "client-k") == nil)
            #expect(try store.client(id: "client-K ") == nil)
            #expect(try store.client(id: "client-K") != nil)
            // A different id that Swift considers equal is a different client.
            try store.insert(try Self.client("client-\u{212A}"))
            #expect(try store.allClients().count == 2)
        }
    }

    @Test(arguments: ["", "a\u{0}b", "\u{0}", String(repeating: "x", count: 257)])
    func idsTheTableCannotHoldAreUnknownNotErrors(_ id: String) throws {
        try withStore { store, _ throws in
            let found = try store.client(id: id)
            let deleted = try store.delete(id: id)
            #expect(found == nil)
            #expect(deleted == false)
        }
    }

    @Test func duplicateIdIsAConflictAndKeepsTheFirst() throws {
        try withStore { store, _ throws in
            let first = try Self.client("dup")
            try store.insert(first)
            let second = try Self.client(
                "dup",
                #"{"token_endpoint_auth_method":"client_secret_post","scope":"other"}"#,
                createdAt: Self.t0 + 1
            )
            let error = #expect(throws: StoreError.self) { try store.insert(second) }
            #expect(error?.code == .conflict)
            #expect(try store.client(id: "dup") == first)
            #expect(try store.allClients().count == 1)
        }
    }

    @Test func duplicateRegistrationAccessTokenHashIsAConflict() throws {
        try withStore { store, _ throws in
            var first = try Self.client("a")
            first.registrationAccessTokenHash = "hmac-sha256:same"
            try store.insert(first)
            var second = try Self.client("b")
            second.registrationAccessTokenHash = "hmac-sha256:same"
            let error = #expect(throws: StoreError.self) { try store.insert(second) }
            #expect(error?.code == .conflict)
        }
    }

    @Test func secretMethodWithoutSecretHashIsRefusedByTheSchema() throws {
        try withStore { store, _ throws in
            let client = try Self.client("nosecret", secretHash: nil)
            let error = #expect(throws: StoreError.self) { try store.insert(client) }
            #expect(error?.code == .failed)
            #expect(try store.allClients().isEmpty)
        }
    }

    @Test func metadataWithNULIsRefusedAndNothingIsWritten() throws {
        try withStore { store, _ throws in
            let text = #"{"token_endpoint_auth_method":"client_secret_basic","client_name":"a\u0000b"}"#
            let client = try Self.client("nul", text)
            let error = #expect(throws: StoreError.self) { try store.insert(client) }
            #expect(error?.code == .failed)
            #expect(try store.allClients().isEmpty)
        }
    }

    @Test func updateReplacesEverythingButCreationTime() throws {
        try withStore { store, _ throws in
            try store.insert(try Self.client("c"))
            var changed = try Self.client(
                "c",
                #"{"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://tpp.example/jwks","software_id":"sw-2"}"#,
                secretHash: nil,
                createdAt: Self.t0 + 999
            )
            changed.updatedAt = Self.t0 + 60
            changed.accessTokenLifetimeSeconds = 120
            try store.update(changed)
            let back = try #require(try store.client(id: "c"))
            #expect(back.authenticationMethod == .privateKeyJWT)
            #expect(back.secretHash == nil)
            #expect(back.metadata == changed.metadata)
            #expect(back.softwareID == "sw-2")
            #expect(back.accessTokenLifetimeSeconds == 120)
            #expect(back.createdAt == Self.t0)
            #expect(back.updatedAt == Self.t0 + 60)
        }
    }

    @Test func updateOfAnUnknownClientIsNotFound() throws {
        try withStore { store, _ throws in
            let ghost = try Self.client("ghost")
            let error = #expect(throws: StoreError.self) { try store.update(ghost) }
            #expect(error?.code == .notFound)
            #expect(try store.allClients().isEmpty)
        }
    }

    @Test func deleteRemovesTheClientOnce() throws {
        try withStore { store, _ throws in
            try store.insert(try Self.client("gone"))
            try store.insert(try Self.client("stays"))
            #expect(try store.delete(id: "gone"))
            #expect(try store.client(id: "gone") == nil)
            #expect(try store.delete(id: "gone") == false)
            #expect(try store.allClients().map(\.clientID) == ["stays"])
        }
    }

    @Test func listingIsOldestFirstThenByIdBytes() throws {
        try withStore { store, _ throws in
            try store.insert(try Self.client("b", createdAt: Self.t0 + 1))
            try store.insert(try Self.client("Z", createdAt: Self.t0 + 1))
            try store.insert(try Self.client("a", createdAt: Self.t0 + 1))
            try store.insert(try Self.client("old", createdAt: Self.t0))
            #expect(try store.allClients().map(\.clientID) == ["old", "Z", "a", "b"])
        }
    }

    @Test func lookupIsOnePreparedPrimaryKeyStatement() throws {
        try withStore { store, connection throws in
            try store.insert(try Self.client("hot"))
            _ = try store.client(id: "hot")
            _ = try store.client(id: "other")
            let statements = try connection.query(
                """
                SELECT statement FROM pg_prepared_statements
                WHERE statement LIKE '%FROM clients WHERE client_id = $1%' AND statement NOT LIKE '%pg_prepared%'
                """
            )
            #expect(statements.count == 1)
            // Whatever the planner prefers for a one-row table, the primary key serves the lookup.
            try connection.execute("SET enable_seqscan = off")
            let plan = try connection.query(
                """
                EXPLAIN (FORMAT TEXT) SELECT metadata FROM clients WHERE client_id = 'hot'
                """
            ).map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
            #expect(plan.contains("clients_pkey"))
        }
    }

    @Test func rowWhoseMethodColumnWasEditedIsCorrupt() throws {
        try withStore { store, connection throws in
            try store.insert(try Self.client("edited"))
            try connection.execute(
                "UPDATE clients SET token_endpoint_auth_method = 'client_secret_post' WHERE client_id = 'edited'"
            )
            let error = #expect(throws: StoreError.self) { try store.client(id: "edited") }
            #expect(error?.code == .corruptRecord)
        }
    }

    @Test func unmigratedSchemaIsUnavailable() throws {
        try TestDatabase.withSchema { configuration in
            let store = PostgresClientStore(connection: PostgresConnection(configuration: configuration))
            let error = #expect(throws: StoreError.self) { try store.client(id: "x") }
            #expect(error?.code == .unavailable)
        }
    }
}
