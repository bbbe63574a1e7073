import CredenceCore
import CredenceJSON
import Foundation
import Synchronization

/// A `ClientStore` in memory with the PostgreSQL store's rules, for domain and server tests:
/// ids compared by their UTF-8 bytes (never Swift's Unicode-equivalence `==`), a duplicate
/// id or registration-access-token hash is `conflict`, a secret method without a secret
/// hash, an id the `clients` table could not hold, or metadata with U+0000 is `failed`,
/// listing is oldest first then by id bytes. Thread-safe.
public final class InMemoryClientStore: ClientStore, Sendable {
    private struct State {
        var clients: [[UInt8]: Client] = [:]
    }
    private let state = Mutex(State())
    private let reachable = Mutex(true)

    /// Creates an empty store.
    public init() {}

    /// Simulates the database going away (`false`) and coming back (`true`).
    public var isReachable: Bool {
        get { reachable.withLock { $0 } }
        set { reachable.withLock { $0 = newValue } }
    }

    private func checkReachable() throws {
        if !isReachable { throw StoreError.unavailable("in-memory store switched off") }
    }

    public func client(id clientID: String) throws -> Client? {
        try checkReachable()
        return state.withLock { $0.clients[Array(clientID.utf8)] }
    }

    public func allClients() throws -> [Client] {
        try checkReachable()
        return state.withLock { state in
            state.clients.values.sorted { lhs, rhs in
                if lhs.createdAt != rhs.createdAt { return lhs.createdAt < rhs.createdAt }
                return lhs.clientID.utf8.lexicographicallyPrecedes(rhs.clientID.utf8)
            }
        }
    }

    public func insert(_ client: Client) throws {
        try checkReachable()
        try Self.checkStorable(client)
        try state.withLock { state in
            let key = Array(client.clientID.utf8)
            if state.clients[key] != nil { throw StoreError.conflict("insert client: duplicate client_id") }
            try Self.checkUniqueRegistrationToken(client, among: state.clients)
            state.clients[key] = client
        }
    }

    public func update(_ client: Client) throws {
        try checkReachable()
        try Self.checkStorable(client)
        try state.withLock { state in
            let key = Array(client.clientID.utf8)
            guard let stored = state.clients[key] else { throw StoreError.notFound("no client with that id") }
            try Self.checkUniqueRegistrationToken(client, among: state.clients)
            var updated = client
            updated.createdAt = stored.createdAt
            state.clients[key] = updated
        }
    }

    public func delete(id clientID: String) throws -> Bool {
        try checkReachable()
        return state.withLock { $0.clients.removeValue(forKey: Array(clientID.utf8)) != nil }
    }

    /// The `clients` table's CHECK constraints and what jsonb cannot hold.
    private static func checkStorable(_ client: Client) throws {
        let id = client.clientID
        guard !id.utf8.contains(0), (1...256).contains(id.unicodeScalars.count) else {
            throw StoreError.failed("client: the client_id cannot be stored")
        }
        if client.authenticationMethod.usesSecret && client.secretHash == nil {
            throw StoreError.failed("client: a secret method needs a secret hash")
        }
        if let lifetime = client.accessTokenLifetimeSeconds, !(1...86_400).contains(lifetime) {
            throw StoreError.failed("client: access token lifetime out of range")
        }
        if JSONValue.object(client.metadata.json).hasNUL {
            throw StoreError.failed("client metadata with U+0000 cannot be stored")
        }
    }

    private static func checkUniqueRegistrationToken(_ client: Client, among clients: [[UInt8]: Client]) throws {
        guard let hash = client.registrationAccessTokenHash else { return }
        let taken = clients.values.contains {
            !Identifier.equal($0.clientID, client.clientID) && Identifier.equal($0.registrationAccessTokenHash, hash)
        }
        if taken { throw StoreError.conflict("client: registration access token hash already in use") }
    }
}

extension JSONValue {
    /// Whether U+0000 occurs in a string or member name anywhere (jsonb refuses it).
    fileprivate var hasNUL: Bool {
        switch self {
        case .string(let text): text.utf8.contains(0)
        case .array(let elements): elements.contains { $0.hasNUL }
        case .object(let object): object.contains { $0.name.utf8.contains(0) || $0.value.hasNUL }
        default: false
        }
    }
}
