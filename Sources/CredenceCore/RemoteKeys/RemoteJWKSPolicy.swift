import Foundation

/// How ``RemoteJWKSCache`` trusts and caches remote JWK Sets: which hosts, how long a set is
/// fresh, how often a key nobody knows may trigger a fetch, and how long a set may outlive
/// failing fetches.
public struct RemoteJWKSPolicy: Sendable {
    /// The hosts that may be fetched from; empty refuses every `jwks_uri`.
    public var allowedHosts: JWKSHostAllowlist
    /// How long a fetched set is used without asking again (`jwks_fetch.cache_seconds`). A
    /// server's smaller `Cache-Control: max-age` shortens it, down to ``minimumCacheDuration``;
    /// a larger one never lengthens it.
    public var cacheDuration: TimeInterval
    /// The shortest freshness a `max-age` (or `no-store`) can impose, so that a server cannot
    /// make every token request wait for a fetch. Capped at ``cacheDuration``.
    public var minimumCacheDuration: TimeInterval
    /// A `kid` the cached set does not hold triggers a fetch at most this often per URL: a
    /// client that rotated gets its new key within a minute, while a stream of assertions with
    /// made-up `kid`s cannot turn this server into a load generator against the client's host.
    public var unknownKeyRefetchInterval: TimeInterval
    /// After a failed fetch, the next attempt waits this long; meanwhile the last good set
    /// keeps serving, or the failure is repeated at once, so a dead host does not hold a worker
    /// for a whole timeout on every request.
    public var failureRetryInterval: TimeInterval
    /// The hard limit on serving a set whose refetches fail (`jwks_fetch.max_stale_seconds`);
    /// past it, the client's keys are unavailable until a fetch succeeds.
    public var maximumStaleness: TimeInterval
    /// The most URLs remembered; the least recently used is forgotten to make room.
    public var maximumEntries: Int
    /// The largest document parsed (the fetcher enforces its own limit while downloading).
    public var maximumDocumentBytes: Int

    /// Creates a policy; the defaults are those of `config/credence.example.yaml`.
    public init(
        allowedHosts: JWKSHostAllowlist,
        cacheDuration: TimeInterval = 300,
        minimumCacheDuration: TimeInterval = 60,
        unknownKeyRefetchInterval: TimeInterval = 60,
        failureRetryInterval: TimeInterval = 10,
        maximumStaleness: TimeInterval = 3600,
        maximumEntries: Int = 1000,
        maximumDocumentBytes: Int = 65_536
    ) {
        self.allowedHosts = allowedHosts
        self.cacheDuration = cacheDuration
        self.minimumCacheDuration = minimumCacheDuration
        self.unknownKeyRefetchInterval = unknownKeyRefetchInterval
        self.failureRetryInterval = failureRetryInterval
        self.maximumStaleness = maximumStaleness
        self.maximumEntries = maximumEntries
        self.maximumDocumentBytes = maximumDocumentBytes
    }

    /// How long a set fetched with `maxAge` stays fresh: ``cacheDuration``, or the server's
    /// `max-age` when smaller, never below ``minimumCacheDuration`` (nor above ``cacheDuration``).
    public func freshness(maxAge: Int?) -> TimeInterval {
        let ceiling = max(cacheDuration, 0)
        guard let maxAge else { return ceiling }
        let floor = min(minimumCacheDuration, ceiling)
        return min(max(TimeInterval(maxAge), floor), ceiling)
    }
}
