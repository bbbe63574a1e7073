import Foundation
import Synchronization

/// The process-wide view of the server's signing keys, shared by every worker.
/// Keys live in PostgreSQL so that every responder on every host agrees; each
/// process re-reads them at most every `refreshInterval`, so a rotation done
/// with `credence keys rotate` anywhere is picked up within that bound without
/// a restart. One worker refreshes while the others keep using the previous
/// snapshot; if the database is unreachable the last snapshot keeps serving
/// (for at most `maximumStaleness`), so published keys never flicker.
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

    /// Creates an empty cache; the first call loads from the store.
    public init(refreshInterval: TimeInterval, maximumStaleness: TimeInterval? = nil) {
        self.refreshInterval = refreshInterval
        self.maximumStaleness = maximumStaleness ?? max(refreshInterval * 10, 300)
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
                let records = try store.publishedKeys(at: now)
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
