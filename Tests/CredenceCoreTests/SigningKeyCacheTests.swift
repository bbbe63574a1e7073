import CredenceCore
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

@Suite struct SigningKeyCacheTests {
    let store = InMemorySigningKeyStore()
    let clock = FixedClock()
    let integrity: SigningKeyIntegrity

    init() throws {
        integrity = SigningKeyIntegrity(encryptionKey: try KeyEncryptionKey(bytes: Array(repeating: 42, count: 32)))
    }

    func cache(refreshInterval: TimeInterval, maximumStaleness: TimeInterval? = nil) -> SigningKeyCache {
        SigningKeyCache(refreshInterval: refreshInterval, maximumStaleness: maximumStaleness, integrity: integrity)
    }

    /// A tagged record.
    func record(_ kid: String, _ state: SigningKeyState, publishUntil: Date? = nil) throws -> SigningKeyRecord {
        try integrity.tagged(
            SigningKeyRecord(
                kid: kid,
                algorithm: "ES256",
                state: state,
                publicJWK: #"{"kty":"EC","kid":"\#(kid)","alg":"ES256"}"#,
                sealedPrivateKey: Array("sealed \(kid)".utf8),
                createdAt: clock.now,
                activatedAt: state == .next ? nil : clock.now,
                retiredAt: state == .retired ? clock.now : nil,
                publishUntil: publishUntil
            )
        )
    }

    @Test func reloadsOnlyAfterTheRefreshInterval() throws {
        let cache = cache(refreshInterval: 30)
        try store.insert(try record("a", .active))
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
        try store.insert(try record("b", .next))
        clock.advance(by: 29)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
        clock.advance(by: 1)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a", "b"])
    }

    @Test func retiredKeysLeaveAtTheirDeadlineEvenFromTheSnapshot() throws {
        let cache = cache(refreshInterval: 300)
        try store.insert(try record("old", .retired, publishUntil: clock.now.addingTimeInterval(10)))
        try store.insert(try record("new", .active))
        #expect(try cache.publishedKeys(using: store, now: clock.now).count == 2)
        clock.advance(by: 10)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["new"])
    }

    @Test func staleSnapshotServesWhileTheStoreIsDownThenExpires() throws {
        let cache = cache(refreshInterval: 30, maximumStaleness: 120)
        try store.insert(try record("a", .active))
        _ = try cache.publishedKeys(using: store, now: clock.now)
        store.isReachable = false
        clock.advance(by: 60)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
        clock.advance(by: 61)
        #expect(throws: StoreError.unavailable("")) { try cache.publishedKeys(using: store, now: clock.now) }
        store.isReachable = true
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
    }

    @Test func invalidateForcesAReload() throws {
        let cache = cache(refreshInterval: 300)
        _ = try cache.publishedKeys(using: store, now: clock.now)
        try store.insert(try record("a", .active))
        cache.invalidate()
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
    }

    /// Rows changed by someone with write access to the table, but not the key-encryption key.
    enum Tampering: String, CaseIterable {
        case swappedPublicJWK, changedAlgorithm, changedState, extendedPublication, changedSealedKey, untagged
        case taggedUnderAnotherKey
    }

    @Test(arguments: Tampering.allCases)
    func aRowThatDoesNotVerifyIsNeverPublished(tampering: Tampering) throws {
        let other = try record("other", .active)
        try store.insert(other)
        var key = try record("k", .retired, publishUntil: clock.now.addingTimeInterval(10))
        try store.insert(key)
        #expect(
            try cache(refreshInterval: 30).publishedKeys(using: store, now: clock.now).map(\.kid) == ["other", "k"]
        )

        switch tampering {
        case .swappedPublicJWK: key.publicJWK = other.publicJWK
        case .changedAlgorithm: key.algorithm = "PS256"
        case .changedState: key.state = .next
        case .extendedPublication: key.publishUntil = clock.now.addingTimeInterval(86_400)
        case .changedSealedKey: key.sealedPrivateKey = other.sealedPrivateKey
        case .untagged: key.integrityTag = nil
        case .taggedUnderAnotherKey:
            key = try SigningKeyIntegrity(encryptionKey: try KeyEncryptionKey(bytes: Array(repeating: 1, count: 32)))
                .tagged(key)
        }
        store.overwrite(key)
        #expect(try cache(refreshInterval: 30).publishedKeys(using: store, now: clock.now).map(\.kid) == ["other"])
    }

    @Test func aRowTamperedWithAfterLoadingLeavesAtTheNextRefresh() throws {
        let cache = cache(refreshInterval: 30)
        var key = try record("k", .active)
        try store.insert(key)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["k"])
        key.publicJWK = #"{"kty":"EC","kid":"attacker"}"#
        store.overwrite(key)
        clock.advance(by: 30)
        #expect(try cache.publishedKeys(using: store, now: clock.now).isEmpty)
    }
}
