public import Foundation

/// A registered OAuth client: its metadata (what it registered), the hashes of its secrets
/// (never the secrets), and the settings only an operator can give it. Created by
/// `credence clients create` or by dynamic registration; stored by a ``ClientStore``.
public struct Client: Sendable, Hashable {
    /// `client_id`: server-generated, unique, compared by bytes.
    public var clientID: String
    /// The registered metadata.
    public var metadata: ClientMetadata
    /// The stored hash of the client secret (``ClientSecretHasher``), for the secret methods.
    public var secretHash: String?
    /// The stored hash of the RFC 7592 registration access token, when registered dynamically.
    public var registrationAccessTokenHash: String?
    /// An operator's per-client access-token lifetime, overriding the server's.
    public var accessTokenLifetimeSeconds: Int?
    /// When the client was created.
    public var createdAt: Date
    /// When the client was last changed.
    public var updatedAt: Date

    /// Creates a client value.
    public init(
        clientID: String,
        metadata: ClientMetadata,
        secretHash: String? = nil,
        registrationAccessTokenHash: String? = nil,
        accessTokenLifetimeSeconds: Int? = nil,
        createdAt: Date,
        updatedAt: Date? = nil
    ) {
        self.clientID = clientID
        self.metadata = metadata
        self.secretHash = secretHash
        self.registrationAccessTokenHash = registrationAccessTokenHash
        self.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The registered authentication method.
    public var authenticationMethod: ClientAuthenticationMethod { metadata.authenticationMethod }

    /// The `software_id` the client registered with, if any (RFC 7591 §2).
    public var softwareID: String? { metadata.json["software_id"]?.stringValue }
}

/// Persistence of clients. Implemented over PostgreSQL in `CredencePostgres` and in
/// memory in `CredenceTesting`. Each worker owns its own instance (its own connection).
public protocol ClientStore {
    /// The client with `clientID` (compared by bytes), or `nil`.
    func client(id clientID: String) throws -> Client?
    /// Every client, oldest first (operator listing).
    func allClients() throws -> [Client]
    /// Stores a new client; a duplicate id is `StoreError.conflict`.
    func insert(_ client: Client) throws
    /// Replaces a stored client; an unknown id is `StoreError.notFound`.
    func update(_ client: Client) throws
    /// Deletes a client; returns whether it existed.
    func delete(id clientID: String) throws -> Bool
}
