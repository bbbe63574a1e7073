public import CredenceJOSE
public import Foundation
public import Logging
import Synchronization

/// The process-wide cache of remote JWK Sets (a client's `jwks_uri`; later, a directory's keys
/// for software statements), shared by every worker thread.
///
/// Fetching a URL a client chose is costly and dangerous on the request path, so the cache:
/// - fetches only `https` URLs on allowlisted hosts (``JWKSHostAllowlist``);
/// - keeps a set for the policy's freshness (``RemoteJWKSPolicy/freshness(maxAge:)``);
/// - refetches for an unknown `kid` at most once per ``RemoteJWKSPolicy/unknownKeyRefetchInterval``
///   per URL, so a client's key rotation is seen quickly but made-up `kid`s cost nothing;
/// - keeps serving the last good set while refetches fail, up to
///   ``RemoteJWKSPolicy/maximumStaleness``, and waits ``RemoteJWKSPolicy/failureRetryInterval``
///   between failed attempts;
/// - parses with `JWKSet.parse`, which refuses any private key material.
///
/// Fetches run outside the lock, on the asking worker's thread; while one worker refetches a
/// stale set, the others keep using it. Time is a parameter (`now`).
///
/// The token endpoint's use, for an assertion whose header names `kid`:
/// ```swift
/// var keys = try cache.keys(for: client.jwksURI, now: now)
/// if !keys.contains(keyID: kid) { keys = try cache.keys(for: client.jwksURI, refreshingForUnknownKeyID: kid, now: now) }
/// let key = try keys.key(forKID: kid, algorithm: alg)  // JOSE's rules: no default key
/// ```
public final class RemoteJWKSCache: Sendable {
    private struct Entry {
        /// The last good set and when it was fetched.
        var keys: JWKSet?
        var fetchedAt: Date = .distantPast
        /// Until when `keys` is used without asking again.
        var freshUntil: Date = .distantPast
        /// The last fetch started (successful or not), for the rate limits.
        var lastAttempt: Date?
        /// The last fetch's error, until a fetch succeeds.
        var lastFailure: RemoteJWKSError?
        var fetching = false
        var lastUsed: Date
    }

    private enum Plan {
        case serve(JWKSet)
        case fail(RemoteJWKSError)
        case fetch
    }

    /// The rules this cache applies.
    public let policy: RemoteJWKSPolicy
    private let fetcher: any JWKSetFetcher
    private let logger: Logger?
    private let entries = Mutex<[String: Entry]>([:])

    /// Creates an empty cache that fetches through `fetcher`; fetch failures are logged to
    /// `logger` (the URL and the error, never the document).
    public init(policy: RemoteJWKSPolicy, fetcher: any JWKSetFetcher, logger: Logger? = nil) {
        self.policy = policy
        self.fetcher = fetcher
        self.logger = logger
    }

    /// Checks `uri` the way every fetch does: syntax (``RemoteJWKSURL``), then the host
    /// allowlist. For registration and the operator CLI, to refuse a `jwks_uri` up front.
    public func validate(_ uri: String) throws(RemoteJWKSError) -> RemoteJWKSURL {
        try validate(uri, allowedHosts: HostRule(policy.allowedHosts, named: "jwks_fetch.allowed_hosts"))
    }

    /// An allowlist other than the policy's, with the configuration key that holds it (for the
    /// reason of a refusal): a trusted software-statement issuer's own hosts
    /// (`registration.trusted_issuers[].software_jwks_hosts`), which decide alone where URLs
    /// taken from that issuer's statements may point.
    public struct HostRule: Sendable {
        /// The hosts allowed.
        public var hosts: JWKSHostAllowlist
        /// Where the operator sets them, e.g. `jwks_fetch.allowed_hosts`.
        public var settingName: String

        /// A rule allowing `hosts`, set at `settingName`.
        public init(_ hosts: JWKSHostAllowlist, named settingName: String) {
            self.hosts = hosts
            self.settingName = settingName
        }
    }

    /// Checks `uri` against `allowedHosts` instead of the policy's allowlist: syntax, then host.
    public func validate(_ uri: String, allowedHosts rule: HostRule) throws(RemoteJWKSError) -> RemoteJWKSURL {
        let url = try RemoteJWKSURL(parsing: uri)
        guard rule.hosts.allows(url) else {
            if rule.hosts.isEmpty {
                throw RemoteJWKSError(.hostNotAllowed, "no host is allowed (\(rule.settingName) is empty)")
            }
            let where_ = url.port == 443 ? url.host : "\(url.host):\(url.port)"
            throw RemoteJWKSError(.hostNotAllowed, "\(where_) is not in \(rule.settingName)")
        }
        return url
    }

    /// The keys at `uri`: the cached set while it is fresh, else a fetched one (or the last good
    /// set when the fetch fails and it is not too stale).
    public func keys(for uri: String, now: Date) throws(RemoteJWKSError) -> JWKSet {
        try keys(for: uri, refreshingUnless: { _ in true }, now: now)
    }

    /// The keys at `uri`, fetched again first if the cached set has no key with `keyID` and the
    /// URL was not fetched within the last ``RemoteJWKSPolicy/unknownKeyRefetchInterval``.
    /// The result may still lack `keyID`; the caller's key lookup then refuses the token.
    public func keys(
        for uri: String,
        refreshingForUnknownKeyID keyID: String,
        now: Date
    ) throws(RemoteJWKSError) -> JWKSet {
        try keys(for: uri, refreshingUnless: { $0.contains(keyID: keyID) }, now: now)
    }

    /// The keys at `uri`, fetched again first (within the same rate limit as an unknown `kid`)
    /// if `isKnown` says the cached set lacks the key the caller looks for, e.g. the public key
    /// of a `self_signed_tls_client_auth` certificate, which has no `kid`. `isKnown` runs under
    /// the cache's lock: keep it to a lookup, and never call the cache from it.
    public func keys(
        for uri: String,
        refreshingUnless isKnown: (JWKSet) -> Bool,
        now: Date
    ) throws(RemoteJWKSError) -> JWKSet {
        try keys(for: uri, allowedHosts: nil, refreshingUnless: isKnown, now: now)
    }

    /// As ``keys(for:refreshingUnless:now:)``, with `uri`'s host checked against `allowedHosts`
    /// instead of the policy's allowlist (`nil`: the policy's). The set is cached under the URL
    /// like any other; only the host decision differs.
    public func keys(
        for uri: String,
        allowedHosts rule: HostRule?,
        refreshingUnless isKnown: (JWKSet) -> Bool,
        now: Date
    ) throws(RemoteJWKSError) -> JWKSet {
        let url = if let rule { try validate(uri, allowedHosts: rule) } else { try validate(uri) }
        let plan = entries.withLock { entries in
            var entry = entries[url.value] ?? makeRoom(in: &entries, now: now)
            let plan = decide(&entry, now: now, isKnown: isKnown)
            entry.lastUsed = now
            if case .fetch = plan {
                entry.fetching = true
                entry.lastAttempt = now
            }
            entries[url.value] = entry
            return plan
        }
        switch plan {
        case .serve(let keys): return keys
        case .fail(let error): throw error
        case .fetch: return try fetch(url, now: now)
        }
    }

    /// What to do for one request, given the entry's state (called under the lock).
    private func decide(_ entry: inout Entry, now: Date, isKnown: (JWKSet) -> Bool) -> Plan {
        let recentAttempt = entry.lastAttempt.map { now.timeIntervalSince($0) } ?? .infinity
        if let keys = entry.keys, now < entry.freshUntil {
            guard !isKnown(keys) else { return .serve(keys) }
            // An unknown key in a fresh set: refetch, at most once per interval per URL.
            if entry.fetching || recentAttempt < policy.unknownKeyRefetchInterval { return .serve(keys) }
            return .fetch
        }
        let usable = usableKeys(entry, now: now)
        if entry.fetching, let usable { return .serve(usable) }  // another worker is refetching
        if let failure = entry.lastFailure, recentAttempt < policy.failureRetryInterval {
            if let usable { return .serve(usable) }
            return .fail(failure)
        }
        return .fetch
    }

    /// The last good set while it is within the maximum staleness.
    private func usableKeys(_ entry: Entry, now: Date) -> JWKSet? {
        guard let keys = entry.keys, now.timeIntervalSince(entry.fetchedAt) <= policy.maximumStaleness else {
            return nil
        }
        return keys
    }

    /// A new entry, after forgetting the least recently used one if the cache is full.
    private func makeRoom(in entries: inout [String: Entry], now: Date) -> Entry {
        if entries.count >= max(policy.maximumEntries, 1),
            let victim = entries.filter({ !$0.value.fetching }).min(by: { $0.value.lastUsed < $1.value.lastUsed })
        {
            entries[victim.key] = nil
        }
        return Entry(lastUsed: now)
    }

    private func fetch(_ url: RemoteJWKSURL, now: Date) throws(RemoteJWKSError) -> JWKSet {
        let result: Result<(JWKSet, TimeInterval), RemoteJWKSError>
        do {
            let document = try fetcher.fetchJWKSetDocument(from: url)
            result = .success((try parse(document.body), policy.freshness(maxAge: document.maxAge)))
        } catch {
            result = .failure(error)
        }
        let stale: JWKSet? = entries.withLock { entries in
            var entry = entries[url.value] ?? Entry(lastUsed: now)
            entry.fetching = false
            defer { entries[url.value] = entry }
            switch result {
            case .success(let (keys, freshness)):
                entry.keys = keys
                entry.fetchedAt = now
                entry.freshUntil = now.addingTimeInterval(freshness)
                entry.lastFailure = nil
                return nil
            case .failure(let error):
                entry.lastFailure = error
                return usableKeys(entry, now: now)
            }
        }
        switch result {
        case .success(let (keys, _)):
            logger?.debug(
                "fetched a JWK Set",
                metadata: ["jwks.uri": .string(url.value), "jwks.key_count": .stringConvertible(keys.keys.count)]
            )
            return keys
        case .failure(let error):
            logger?.warning(
                "JWK Set fetch failed",
                metadata: [
                    "jwks.uri": .string(url.value), "error.code": .string(error.code.description),
                    "error.reason": .string(error.reason), "jwks.serving_stale": .stringConvertible(stale != nil),
                ]
            )
            if let stale { return stale }
            throw error
        }
    }

    private func parse(_ body: [UInt8]) throws(RemoteJWKSError) -> JWKSet {
        guard body.count <= policy.maximumDocumentBytes else {
            throw RemoteJWKSError(.documentTooLarge, "the JWK Set is larger than \(policy.maximumDocumentBytes) bytes")
        }
        do {
            return try JWKSet.parse(body, maxBytes: policy.maximumDocumentBytes)
        } catch {
            let reason =
                error.code == .privateKeyMaterial
                ? "the JWK Set carries private key material" : "the document is not a usable JWK Set"
            throw RemoteJWKSError(.invalidDocument, reason, detail: error.description)
        }
    }
}
