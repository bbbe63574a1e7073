import Foundation
import Logging
import Synchronization

/// The process-wide view of the server's signing keys, shared by every worker.
/// Keys live in PostgreSQL so that every responder on every host agrees; each
/// process re-reads them at most every `refreshInterval`, so a rotation done
/// with `credence keys rotate` anywhere is picked up within that bound without
/// a restart. One worker refreshes while the others keep using the previous
/// snapshot; if the database is unreachable the last snapshot keeps serving
/// (for at most `maximumStaleness`), so published keys never flicker.
/// A row whose integrity tag does not verify (``SigningKeyIntegrity``) never
/// enters the snapshot: it is logged at error level (by `kid`, without key
/// material) and neither published nor used to sign.
public final class SigningKeyCache: Sendable {
    /// How long clients may cache the published JWKS (`Cache-Control: max-age`); a new key
    /// must be published at least this long, plus the refresh interval, before it signs.
    public static let publishedSetMaxAge: TimeInterval = 60

    private struct State {
        var records: [SigningKeyRecord]?
        var loadedAt: Date = .distantPast
        var refreshing = false
    }

    private let state = Mutex(State())
    /// How old a snapshot may get before a worker reloads it.
    public let refreshInterval: TimeInterval
    /// How long a snapshot may keep serving while reloads fail.
    public let maximumStaleness: TimeInterval
    private let integrity: SigningKeyIntegrity
    private let logger: Logger

    /// Creates an empty cache; the first call loads from the store, keeping only the rows
    /// that `integrity` verifies.
    public init(
        refreshInterval: TimeInterval,
        maximumStaleness: TimeInterval? = nil,
        integrity: SigningKeyIntegrity,
        logger: Logger = Logger(label: "credence.keys")
    ) {
        self.refreshInterval = refreshInterval
        self.maximumStaleness = maximumStaleness ?? max(refreshInterval * 10, 300)
        self.integrity = integrity
        self.logger = logger
    }

    /// The rows that verify; the others are logged and dropped.
    private func verified(_ records: [SigningKeyRecord]) -> [SigningKeyRecord] {
        records.filter { record in
            let verdict = integrity.check(record)
            guard verdict != .verified else { return true }
            logger.error(
                "signing key refused: it fails its integrity check, so it is neither published nor used to sign",
                metadata: [
                    "key.kid": .string(record.kid),
                    "key.state": .string(record.state.rawValue),
                    "reason": .string(
                        verdict == .untagged
                            ? "no integrity tag (written by an older version); run `credence keys upgrade`"
                            : "integrity tag does not match (row changed outside `credence keys`, or another key-encryption key)"
                    ),
                ]
            )
            return false
        }
    }

    /// The keys published at `now` (`next`, `active`, unexpired `retired`),
    /// reloading through `store` when the snapshot is older than the refresh
    /// interval. Throws the store's error only when no usable snapshot exists.
    public func publishedKeys(using store: any SigningKeyStore, now: Date) throws -> [SigningKeyRecord] {
        enum Plan {
            case use([SigningKeyRecord])
            case reload(stale: [SigningKeyRecord]?)
        }
        let plan: Plan = state.withLock { state in
            if let records = state.records, now.timeIntervalSince(state.loadedAt) < refreshInterval {
                return .use(records)
            }
            if state.refreshing, let records = state.records {
                return .use(records)  // another worker is reloading; serve the previous snapshot
            }
            state.refreshing = true
            let stale = state.records.flatMap { now.timeIntervalSince(state.loadedAt) < maximumStaleness ? $0 : nil }
            return .reload(stale: stale)
        }
        switch plan {
        case .use(let records):
            return records.filter { $0.isPublished(at: now) }
        case .reload(let stale):
            do {
                let records = verified(try store.publishedKeys(at: now))
                state.withLock { state in
                    state.records = records
                    state.loadedAt = now
                    state.refreshing = false
                }
                return records.filter { $0.isPublished(at: now) }
            } catch {
                state.withLock { $0.refreshing = false }
                if let stale { return stale.filter { $0.isPublished(at: now) } }
                throw error
            }
        }
    }

    /// Forgets the snapshot, so the next call reloads (after a local rotation).
    public func invalidate() {
        state.withLock { $0.loadedAt = .distantPast }
    }
}
