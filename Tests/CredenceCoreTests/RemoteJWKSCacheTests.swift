import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Dispatch
import Foundation
import OpenSSLCrypto
import Synchronization
import Testing

/// JWK Set documents for the tests: fresh P-256 public keys named by `kid`.
enum RemoteJWKSFixtures {
    static let keys: [String: JWK] = {
        var keys: [String: JWK] = [:]
        for kid in ["a", "b", "c"] {
            // swift-format-ignore: NeverUseForceTry
            let privateKey = try! PrivateKey.generate(.ec(.p256))
            keys[kid] = JWK(publicKey: privateKey.publicKey, keyID: kid, algorithm: .es256)
        }
        return keys
    }()

    /// `{"keys": [...]}` with the keys named.
    static func document(_ kids: String...) -> String {
        JWKSet(keys: kids.map { keys[$0]! }).jsonObject.serializedString()
    }
}

@Suite struct RemoteJWKSCacheTests {
    static let uri = "https://keys.tpp.example/jwks.json"
    let clock = FixedClock()
    let fetcher = InMemoryJWKSetFetcher()

    func cache(
        cacheDuration: TimeInterval = 300,
        maximumStaleness: TimeInterval = 3600,
        maximumEntries: Int = 1000,
        maximumDocumentBytes: Int = 65_536
    ) -> RemoteJWKSCache {
        RemoteJWKSCache(
            policy: RemoteJWKSPolicy(
                allowedHosts: JWKSHostAllowlist(["keys.tpp.example", "other.tpp.example:8443"])!,
                cacheDuration: cacheDuration,
                maximumStaleness: maximumStaleness,
                maximumEntries: maximumEntries,
                maximumDocumentBytes: maximumDocumentBytes
            ),
            fetcher: fetcher
        )
    }

    func kids(_ set: JWKSet) -> [String] { set.keys.compactMap(\.keyID) }

    // MARK: a caller's own allowlist

    /// A trusted issuer's hosts decide alone for URLs taken from its statements: the policy's
    /// allowlist neither widens nor narrows them.
    @Test func aCallersAllowlistReplacesThePolicys() throws {
        let cache = cache()
        let issuerHosts = RemoteJWKSCache.HostRule(JWKSHostAllowlist(["keystore.directory.example"])!, named: "test")
        let directoryURI = "https://keystore.directory.example/software.jwks"
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: directoryURI)
        fetcher.serve(RemoteJWKSFixtures.document("b"), at: Self.uri)
        #expect(
            kids(
                try cache.keys(
                    for: directoryURI,
                    allowedHosts: issuerHosts,
                    refreshingUnless: { _ in true },
                    now: clock.now
                )
            ) == ["a"]
        )
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) {
            try cache.keys(for: Self.uri, allowedHosts: issuerHosts, refreshingUnless: { _ in true }, now: clock.now)
        }
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) { try cache.keys(for: directoryURI, now: clock.now) }
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) {
            try cache.validate(Self.uri, allowedHosts: .init(.empty, named: "test"))
        }
        #expect(fetcher.fetchCount(Self.uri) == 0)
        #expect(fetcher.fetchCount(directoryURI) == 1)
    }

    @Test func allowlistsUnite() {
        let union = JWKSHostAllowlist(["a.example"])!.union(JWKSHostAllowlist(["b.example:8443"])!)
        #expect(union.description == "a.example, b.example:8443")
    }

    // MARK: freshness

    @Test func aSetIsFetchedOnceAndReusedUntilTheCacheDurationRunsOut() throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        fetcher.serve(RemoteJWKSFixtures.document("a", "b"), at: Self.uri)
        clock.advance(by: 299)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 1)
        clock.advance(by: 1)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a", "b"])
        #expect(fetcher.fetchCount(Self.uri) == 2)
    }

    /// A smaller max-age is honoured down to the one-minute floor; a larger one is capped.
    @Test(arguments: [
        (maxAge: Optional<Int>.none, fresh: 300.0),
        (maxAge: 120, fresh: 120),
        (maxAge: 0, fresh: 60),
        (maxAge: 5, fresh: 60),
        (maxAge: 86_400, fresh: 300),
    ])
    func serverMaxAgeShortensButNeverLengthensFreshness(maxAge: Int?, fresh: TimeInterval) throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri, maxAge: maxAge)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        clock.advance(by: fresh - 1)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        #expect(fetcher.fetchCount(Self.uri) == 1)
        clock.advance(by: 1)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        #expect(fetcher.fetchCount(Self.uri) == 2)
    }

    @Test func freshnessNeverExceedsAConfiguredDurationBelowTheFloor() {
        let policy = RemoteJWKSPolicy(allowedHosts: .empty, cacheDuration: 30)
        #expect(policy.freshness(maxAge: 0) == 30)
        #expect(policy.freshness(maxAge: nil) == 30)
        #expect(policy.freshness(maxAge: 10) == 30)
    }

    // MARK: unknown kid

    @Test func anUnknownKeyIDRefetchesAtMostOnceAMinutePerURL() throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        // Fetched just now: an unknown kid does not fetch again within the minute.
        clock.advance(by: 59)
        #expect(kids(try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "x", now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 1)
        clock.advance(by: 1)
        fetcher.serve(RemoteJWKSFixtures.document("a", "b"), at: Self.uri)
        #expect(kids(try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "b", now: clock.now)) == ["a", "b"])
        #expect(fetcher.fetchCount(Self.uri) == 2)
        // A stream of made-up kids: one fetch per minute, no more.
        for second in 0..<120 {
            clock.advance(by: 1)
            _ = try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "made-up-\(second)", now: clock.now)
        }
        #expect(fetcher.fetchCount(Self.uri) == 4)
    }

    @Test func aKnownKeyIDNeverRefetches() throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a", "b"), at: Self.uri)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        for _ in 0..<10 {
            clock.advance(by: 61)
            _ = try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "b", now: clock.now)
        }
        // 610 s: only the two refetches the 300 s freshness asks for.
        #expect(fetcher.fetchCount(Self.uri) == 3)
    }

    @Test func theRateLimitIsPerURL() throws {
        let cache = cache()
        let other = "https://keys.tpp.example/other.json"
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: other)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        clock.advance(by: 60)
        _ = try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "b", now: clock.now)
        _ = try cache.keys(for: other, refreshingForUnknownKeyID: "b", now: clock.now)
        #expect(fetcher.fetchCount(Self.uri) == 2)
        #expect(fetcher.fetchCount(other) == 1)
    }

    @Test func aPredicateRefreshesForAKeyWithoutKeyID() throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        clock.advance(by: 60)
        fetcher.serve(RemoteJWKSFixtures.document("a", "c"), at: Self.uri)
        let wanted = RemoteJWKSFixtures.keys["c"]!.thumbprint()
        let keys = try cache.keys(
            for: Self.uri,
            refreshingUnless: { $0.keys.contains { $0.thumbprint() == wanted } },
            now: clock.now
        )
        #expect(kids(keys) == ["a", "c"])
    }

    // MARK: allowlist and URLs

    @Test func anEmptyAllowlistRefusesEveryURLWithoutFetching() throws {
        let cache = RemoteJWKSCache(policy: RemoteJWKSPolicy(allowedHosts: .empty), fetcher: fetcher)
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) { try cache.keys(for: Self.uri, now: clock.now) }
        #expect(fetcher.fetchCount(Self.uri) == 0)
    }

    @Test(arguments: [
        "https://evil.example/jwks.json",
        "https://keys.tpp.example.evil.example/jwks.json",
        "https://tpp.example/jwks.json",
        "https://keys.tpp.example:8443/jwks.json",  // only 443 is allowed for a bare host name
        "https://other.tpp.example/jwks.json",  // only 8443 is allowed for this one
        "https://127.0.0.1/jwks.json",
    ])
    func hostsOffTheAllowlistAreRefused(uri: String) throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: uri)
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) { try cache.keys(for: uri, now: clock.now) }
        #expect(fetcher.fetchCount(uri) == 0)
    }

    @Test(arguments: [
        "https://keys.tpp.example/jwks.json",
        "https://KEYS.TPP.EXAMPLE/jwks.json",
        "HTTPS://keys.tpp.example/jwks.json",
        "https://keys.tpp.example:443/jwks.json",
        "https://keys.tpp.example/jwks?version=2&x=%20",
        "https://keys.tpp.example",
        "https://other.tpp.example:8443/keys",
    ])
    func allowedURLsAreFetched(uri: String) throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: uri)
        #expect(kids(try cache.keys(for: uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(uri) == 1)
    }

    @Test(arguments: [
        "",
        "http://keys.tpp.example/jwks.json",
        "ftp://keys.tpp.example/jwks.json",
        "keys.tpp.example/jwks.json",
        "//keys.tpp.example/jwks.json",
        "https://",
        "https:///jwks.json",
        "https://user@keys.tpp.example/jwks.json",
        "https://user:pass@keys.tpp.example/jwks.json",
        "https://evil.example@keys.tpp.example/jwks.json",
        "https://keys.tpp.example/jwks.json#kid",
        "https://keys.tpp.example/jwks.json#",
        "https://keys.tpp.example:/jwks.json",
        "https://keys.tpp.example:0/jwks.json",
        "https://keys.tpp.example:65536/jwks.json",
        "https://keys.tpp.example:+443/jwks.json",
        "https://keys.tpp.example /jwks.json",
        "https://keys.tpp.example/jw ks.json",
        "https://keys.tpp.example\\@evil.example/",
        "https://keys.tpp.example/\u{0}",
        "https://kéys.tpp.example/jwks.json",
        "https://keys.tpp.example/jwks.json\r\nX-Injected: 1",
        "https://-keys.tpp.example/",
        "https://[::1/jwks.json",
        "https://keys.tpp.example/" + String(repeating: "a", count: 2048),
    ])
    func malformedURLsAreRefusedWithoutFetching(uri: String) throws {
        let cache = cache()
        #expect(throws: RemoteJWKSError(.invalidURL, "")) { try cache.keys(for: uri, now: clock.now) }
        #expect(throws: RemoteJWKSError(.invalidURL, "")) { try cache.validate(uri) }
        #expect(fetcher.fetchCount(uri) == 0)
    }

    @Test func validateNamesHostAndPort() throws {
        let url = try cache().validate("https://Other.TPP.example:8443/keys")
        #expect(url.host == "other.tpp.example")
        #expect(url.port == 8443)
        #expect(url.value == "https://Other.TPP.example:8443/keys")
    }

    @Test(arguments: [
        ("keys.tpp.example", true),
        ("keys.tpp.example:8443", true),
        ("127.0.0.1:8443", true),
        ("[::1]:8443", true),
        ("", false),
        ("https://keys.tpp.example", false),
        ("keys.tpp.example/jwks", false),
        ("*.tpp.example", false),
        ("keys.tpp.example:0", false),
        ("keys.tpp.example:", false),
        ("user@keys.tpp.example", false),
    ])
    func allowlistEntries(entry: String, valid: Bool) {
        #expect((JWKSHostAllowlist.problem(with: entry) == nil) == valid)
        #expect((JWKSHostAllowlist([entry]) != nil) == valid)
    }

    // MARK: failures

    @Test func aFailingRefetchKeepsServingTheLastGoodSetUntilTheMaximumStaleness() throws {
        let cache = cache(maximumStaleness: 1000)
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        fetcher.fail(Self.uri)
        clock.advance(by: 300)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 2)
        // Within the retry interval after a failure, no new attempt.
        clock.advance(by: 9)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 2)
        clock.advance(by: 1)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 3)
        // 1000 s after the last good fetch, it is still served; one second later, no longer.
        clock.set(clock.now.addingTimeInterval(1000 - 310))
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        clock.advance(by: 1)
        #expect(throws: RemoteJWKSError(.fetchFailed, "")) { try cache.keys(for: Self.uri, now: clock.now) }
        // The host comes back: the next attempt after the retry interval succeeds.
        fetcher.serve(RemoteJWKSFixtures.document("b"), at: Self.uri)
        #expect(throws: RemoteJWKSError(.fetchFailed, "")) { try cache.keys(for: Self.uri, now: clock.now) }
        clock.advance(by: 10)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["b"])
    }

    @Test func aFirstFetchThatFailsIsRepeatedAtOnceWithinTheRetryInterval() throws {
        let cache = cache()
        fetcher.fail(Self.uri, with: RemoteJWKSError(.fetchTimedOut, "slow"))
        #expect(throws: RemoteJWKSError(.fetchTimedOut, "")) { try cache.keys(for: Self.uri, now: clock.now) }
        clock.advance(by: 5)
        #expect(throws: RemoteJWKSError(.fetchTimedOut, "")) { try cache.keys(for: Self.uri, now: clock.now) }
        #expect(fetcher.fetchCount(Self.uri) == 1)
        clock.advance(by: 5)
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 2)
    }

    @Test func anUnknownKeyRefetchThatFailsKeepsTheFreshSet() throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        fetcher.fail(Self.uri)
        clock.advance(by: 60)
        #expect(kids(try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "b", now: clock.now)) == ["a"])
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 2)
    }

    @Test(arguments: [
        "not json",
        "[]",
        "{\"keys\": {}}",
        "{\"keys\": [], \"keys\": []}",
        // An EC key with its private part: the whole set is refused (RFC 7517 §9.2).
        """
        {"keys":[{"kty":"EC","crv":"P-256","kid":"a",\
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",\
        "d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}]}
        """,
    ])
    func documentsThatAreNotPublicJWKSetsAreRefused(document: String) throws {
        let cache = cache()
        fetcher.serve(document, at: Self.uri)
        #expect(throws: RemoteJWKSError(.invalidDocument, "")) { try cache.keys(for: Self.uri, now: clock.now) }
        // ... and a bad document later does not replace the good set.
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        clock.advance(by: 10)
        _ = try cache.keys(for: Self.uri, now: clock.now)
        fetcher.serve(document, at: Self.uri)
        clock.advance(by: 300)
        #expect(kids(try cache.keys(for: Self.uri, now: clock.now)) == ["a"])
        #expect(fetcher.fetchCount(Self.uri) == 3)
    }

    @Test func aDocumentOverTheLimitIsRefused() throws {
        let cache = cache(maximumDocumentBytes: 100)
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        #expect(throws: RemoteJWKSError(.documentTooLarge, "")) { try cache.keys(for: Self.uri, now: clock.now) }
    }

    // MARK: bounds and threads

    @Test func theLeastRecentlyUsedURLIsForgottenWhenFull() throws {
        let cache = cache(maximumEntries: 2)
        let uris = (1...3).map { "https://keys.tpp.example/\($0).json" }
        for uri in uris { fetcher.serve(RemoteJWKSFixtures.document("a"), at: uri) }
        _ = try cache.keys(for: uris[0], now: clock.now)
        clock.advance(by: 1)
        _ = try cache.keys(for: uris[1], now: clock.now)
        clock.advance(by: 1)
        _ = try cache.keys(for: uris[0], now: clock.now)  // uris[1] is now the least recently used
        clock.advance(by: 1)
        _ = try cache.keys(for: uris[2], now: clock.now)
        clock.advance(by: 1)
        _ = try cache.keys(for: uris[0], now: clock.now)
        _ = try cache.keys(for: uris[1], now: clock.now)
        #expect(uris.map(fetcher.fetchCount) == [1, 2, 1])
    }

    /// While one worker refetches a stale set, the others are answered from it at once.
    @Test func otherWorkersServeTheStaleSetDuringARefetch() throws {
        let slow = GatedJWKSetFetcher(document: RemoteJWKSFixtures.document("a"))
        let cache = RemoteJWKSCache(
            policy: RemoteJWKSPolicy(allowedHosts: JWKSHostAllowlist(["keys.tpp.example"])!),
            fetcher: slow
        )
        slow.open()
        _ = try cache.keys(for: Self.uri, now: clock.now)
        slow.close()
        slow.document = RemoteJWKSFixtures.document("a", "b")
        clock.advance(by: 300)
        let now = clock.now
        let refetched = Mutex<[String]?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let keys = try? cache.keys(for: Self.uri, now: now)
            refetched.withLock { $0 = keys.map { $0.keys.compactMap(\.keyID) } }
            done.signal()
        }
        #expect(slow.waitForFetchToStart())
        for _ in 0..<20 {
            #expect(kids(try cache.keys(for: Self.uri, now: now)) == ["a"])
        }
        #expect(slow.fetches == 2)
        slow.open()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(refetched.withLock { $0 } == ["a", "b"])
        #expect(kids(try cache.keys(for: Self.uri, now: now)) == ["a", "b"])
    }

    @Test func manyThreadsAtOnceGetTheSet() throws {
        let cache = cache()
        fetcher.serve(RemoteJWKSFixtures.document("a"), at: Self.uri)
        let failures = Atomic<Int>(0)
        let now = clock.now
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let when = now.addingTimeInterval(TimeInterval(index * 10))
            do {
                let keys = try cache.keys(for: Self.uri, refreshingForUnknownKeyID: "k\(index % 3)", now: when)
                if keys.keys.first?.keyID != "a" { failures.add(1, ordering: .relaxed) }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(fetcher.fetchCount(Self.uri) >= 1)
    }
}

/// A fetcher whose fetches wait until the test opens the gate, to hold one worker mid-fetch.
final class GatedJWKSetFetcher: JWKSetFetcher, Sendable {
    private struct State {
        var document: String
        var isOpen = false
        var fetches = 0
    }

    private let state: Mutex<State>
    private let started = DispatchSemaphore(value: 0)

    init(document: String) { state = Mutex(State(document: document)) }

    var document: String {
        get { state.withLock { $0.document } }
        set { state.withLock { $0.document = newValue } }
    }
    var fetches: Int { state.withLock { $0.fetches } }

    func open() { state.withLock { $0.isOpen = true } }
    func close() { state.withLock { $0.isOpen = false } }
    func waitForFetchToStart() -> Bool { started.wait(timeout: .now() + 10) == .success }

    func fetchJWKSetDocument(from url: RemoteJWKSURL) throws(RemoteJWKSError) -> FetchedJWKSetDocument {
        let isOpen = state.withLock { state in
            state.fetches += 1
            return state.isOpen
        }
        if !isOpen {
            started.signal()
            while !state.withLock({ $0.isOpen }) { usleep(1000) }
        }
        return FetchedJWKSetDocument(body: Array(document.utf8))
    }
}
