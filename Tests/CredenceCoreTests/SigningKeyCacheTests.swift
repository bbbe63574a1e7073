import CredenceCore
import CredenceTesting
import Foundation
import Testing

@Suite struct SigningKeyCacheTests {
    let store = InMemorySigningKeyStore()
    let clock = FixedClock()

    func record(_ kid: String, _ state: SigningKeyState, publishUntil: Date? = nil) -> SigningKeyRecord {
        SigningKeyRecord(
            kid: kid,
            algorithm: "ES256",
            state: state,
            publicJWK: "{}",
            sealedPrivateKey: [],
            createdAt: clock.now,
            publishUntil: publishUntil
        )
    }

    @Test func reloadsOnlyAfterTheRefreshInterval() throws {
        let cache = SigningKeyCache(refreshInterval: 30)
        try store.insert(record("a", .active))
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
        try store.insert(record("b", .next))
        clock.advance(by: 29)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
        clock.advance(by: 1)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a", "b"])
    }

    @Test func retiredKeysLeaveAtTheirDeadlineEvenFromTheSnapshot() throws {
        let cache = SigningKeyCache(refreshInterval: 300)
        try store.insert(record("old", .retired, publishUntil: clock.now.addingTimeInterval(10)))
        try store.insert(record("new", .active))
        #expect(try cache.publishedKeys(using: store, now: clock.now).count == 2)
        clock.advance(by: 10)
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["new"])
    }

    @Test func staleSnapshotServesWhileTheStoreIsDownThenExpires() throws {
        let cache = SigningKeyCache(refreshInterval: 30, maximumStaleness: 120)
        try store.insert(record("a", .active))
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
        let cache = SigningKeyCache(refreshInterval: 300)
        _ = try cache.publishedKeys(using: store, now: clock.now)
        try store.insert(record("a", .active))
        cache.invalidate()
        #expect(try cache.publishedKeys(using: store, now: clock.now).map(\.kid) == ["a"])
    }
}
