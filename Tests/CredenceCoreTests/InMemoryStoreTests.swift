import CredenceCore
import CredenceJSON
import CredenceTesting
import Foundation
import Testing

/// The in-memory stores keep the PostgreSQL stores' rules, so that domain and server tests
/// built on them mean the same thing as production.
@Suite("In-memory stores")
struct InMemoryStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func client(
        _ id: String,
        method: String = "client_secret_basic",
        secretHash: String? = "hmac-sha256:AAAA",
        createdAt: Date = t0
    ) throws -> Client {
        let metadata = try ClientMetadata(
            json: try JSONObject.parse(#"{"token_endpoint_auth_method":"\#(method)","scope":"accounts"}"#)
        )
        return Client(clientID: id, metadata: metadata, secretHash: secretHash, createdAt: createdAt)
    }

    // MARK: - Clients

    @Test func clientRoundTripAndByteComparedIds() throws {
        let store = InMemoryClientStore()
        let original = try Self.client("client-K")
        try store.insert(original)
        #expect(try store.client(id: "client-K") == original)
        #expect(try store.client(id: "client-\u{212A}") == nil)
        #expect(try store.client(id: "client-k") == nil)
        try store.insert(try Self.client("client-\u{212A}"))
        #expect(try store.allClients().count == 2)
    }

    @Test func duplicateIdIsAConflictAndKeepsTheFirst() throws {
        let store = InMemoryClientStore()
        let first = try Self.client("dup")
        try store.insert(first)
        let error = #expect(throws: StoreError.self) {
            try store.insert(try Self.client("dup", method: "client_secret_post"))
        }
        #expect(error?.code == .conflict)
        #expect(try store.client(id: "dup") == first)
    }

    @Test func duplicateRegistrationAccessTokenHashIsAConflict() throws {
        let store = InMemoryClientStore()
        var first = try Self.client("a")
        first.registrationAccessTokenHash = "h"
        try store.insert(first)
        var second = try Self.client("b")
        second.registrationAccessTokenHash = "h"
        let error = #expect(throws: StoreError.self) { try store.insert(second) }
        #expect(error?.code == .conflict)
        // Updating a client with its own hash is no conflict.
        first.accessTokenLifetimeSeconds = 60
        try store.update(first)
    }

    @Test func whatTheTableRefusesIsFailed() throws {
        let store = InMemoryClientStore()
        for client in [
            try Self.client("nosecret", secretHash: nil),
            try Self.client(""),
            try Self.client("a\u{0}"),
            try Self.client(String(repeating: "x", count: 257)),
            Client(
                clientID: "nul",
                metadata: try ClientMetadata(
                    json: try JSONObject.parse(#"{"token_endpoint_auth_method":"client_secret_basic","n":"\u0000"}"#)
                ),
                secretHash: "h",
                createdAt: Self.t0
            ),
        ] {
            let error = #expect(throws: StoreError.self) { try store.insert(client) }
            #expect(error?.code == .failed)
        }
        var lifetime = try Self.client("lifetime")
        lifetime.accessTokenLifetimeSeconds = 0
        #expect(throws: StoreError.self) { try store.insert(lifetime) }
        #expect(try store.allClients().isEmpty)
    }

    @Test func updateKeepsCreationTimeAndUnknownIsNotFound() throws {
        let store = InMemoryClientStore()
        try store.insert(try Self.client("c"))
        var changed = try Self.client("c", method: "client_secret_post", createdAt: Self.t0 + 99)
        changed.updatedAt = Self.t0 + 60
        try store.update(changed)
        let back = try #require(try store.client(id: "c"))
        #expect(back.authenticationMethod == .clientSecretPost)
        #expect(back.createdAt == Self.t0)
        #expect(back.updatedAt == Self.t0 + 60)
        let error = #expect(throws: StoreError.self) { try store.update(try Self.client("ghost")) }
        #expect(error?.code == .notFound)
    }

    @Test func deleteAndListing() throws {
        let store = InMemoryClientStore()
        try store.insert(try Self.client("b", createdAt: Self.t0 + 1))
        try store.insert(try Self.client("Z", createdAt: Self.t0 + 1))
        try store.insert(try Self.client("a", createdAt: Self.t0 + 1))
        try store.insert(try Self.client("old", createdAt: Self.t0))
        #expect(try store.allClients().map(\.clientID) == ["old", "Z", "a", "b"])
        #expect(try store.delete(id: "a"))
        #expect(try store.delete(id: "a") == false)
        #expect(try store.allClients().map(\.clientID) == ["old", "Z", "b"])
    }

    @Test func switchedOffStoreIsUnavailable() throws {
        let store = InMemoryClientStore()
        store.isReachable = false
        let error = #expect(throws: StoreError.self) { try store.client(id: "x") }
        #expect(error?.code == .unavailable)
    }

    // MARK: - Replays

    @Test func replayIsRefusedPerIssuerAndByBytes() throws {
        let store = InMemoryReplayStore()
        #expect(try store.recordFirstUse(issuer: "c", jti: "K", expiresAt: Self.t0 + 60, now: Self.t0))
        #expect(try !store.recordFirstUse(issuer: "c", jti: "K", expiresAt: Self.t0 + 60, now: Self.t0 + 1))
        #expect(try store.recordFirstUse(issuer: "c", jti: "\u{212A}", expiresAt: Self.t0 + 60, now: Self.t0))
        #expect(try store.recordFirstUse(issuer: "d", jti: "K", expiresAt: Self.t0 + 60, now: Self.t0))
        #expect(try !store.recordFirstUse(issuer: "c", jti: "", expiresAt: Self.t0 + 60, now: Self.t0))
        #expect(try !store.recordFirstUse(issuer: "c", jti: "a\u{0}", expiresAt: Self.t0 + 60, now: Self.t0))
        #expect(store.count == 3)
    }

    @Test func expiredEntryIsReusableAfterItsExpiryInstant() throws {
        let store = InMemoryReplayStore()
        #expect(try store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 10, now: Self.t0))
        #expect(try !store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 70, now: Self.t0 + 10))
        #expect(try store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 70, now: Self.t0 + 11))
        #expect(try !store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 70, now: Self.t0 + 69))
    }

    @Test func concurrentFirstUsesAreAcceptedExactlyOnce() throws {
        let store = InMemoryReplayStore()
        let accepted = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            if (try? store.recordFirstUse(issuer: "c", jti: "same", expiresAt: Self.t0 + 60, now: Self.t0)) == true {
                accepted.withLock { $0 += 1 }
            }
        }
        #expect(accepted.withLock { $0 } == 1)
    }

    @Test func expiredReplaysArePurgedInBatches() throws {
        let store = InMemoryReplayStore()
        for index in 0..<25 {
            _ = try store.recordFirstUse(issuer: "c", jti: "old-\(index)", expiresAt: Self.t0, now: Self.t0 - 10)
        }
        _ = try store.recordFirstUse(issuer: "c", jti: "live", expiresAt: Self.t0 + 500, now: Self.t0)
        _ = try store.recordFirstUse(issuer: "c", jti: "edge", expiresAt: Self.t0 + 100, now: Self.t0)
        let now = Self.t0 + 100
        #expect(try store.deleteExpired(before: now, limit: 10) == 10)
        #expect(try store.deleteExpired(before: now, limit: 10) == 10)
        #expect(try store.deleteExpired(before: now, limit: 10) == 5)
        #expect(try store.deleteExpired(before: now, limit: 10) == 0)
        #expect(store.count == 2)
    }

    // MARK: - Revocations

    @Test func revocationIsKeptOnceAndComparedByBytes() throws {
        let store = InMemoryRevokedTokenStore()
        try store.revoke(jti: "K", clientID: "c", expiresAt: Self.t0 + 300, now: Self.t0)
        try store.revoke(jti: "K", clientID: "c", expiresAt: Self.t0 + 900, now: Self.t0 + 5)
        #expect(try store.isRevoked(jti: "K"))
        #expect(try !store.isRevoked(jti: "\u{212A}"))
        #expect(store.entry(jti: "K")?.revokedAt == Self.t0)
        #expect(store.entry(jti: "K")?.expiresAt == Self.t0 + 300)
        let error = #expect(throws: StoreError.self) {
            try store.revoke(jti: "a\u{0}", clientID: "c", expiresAt: Self.t0, now: Self.t0)
        }
        #expect(error?.code == .failed)
    }

    @Test func expiredRevocationsArePurgedInBatches() throws {
        let store = InMemoryRevokedTokenStore()
        for index in 0..<7 {
            try store.revoke(jti: "old-\(index)", clientID: "c", expiresAt: Self.t0, now: Self.t0)
        }
        try store.revoke(jti: "live", clientID: "c", expiresAt: Self.t0 + 1000, now: Self.t0)
        #expect(try store.deleteExpired(before: Self.t0 + 1, limit: 3) == 3)
        #expect(try store.deleteExpired(before: Self.t0 + 1, limit: 3) == 3)
        #expect(try store.deleteExpired(before: Self.t0 + 1, limit: 3) == 1)
        #expect(try store.deleteExpired(before: Self.t0 + 1, limit: 3) == 0)
        #expect(try store.isRevoked(jti: "live"))
    }
}

/// A value shared between threads of a test.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ initial: Value) { value = initial }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
