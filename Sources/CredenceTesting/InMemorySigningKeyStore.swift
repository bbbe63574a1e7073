import CredenceCore
import Foundation
import Synchronization

/// A `SigningKeyStore` in memory with the same rules as the PostgreSQL one
/// (unique `kid`, one active key, atomic activation), for domain and server
/// tests. `isReachable = false` makes every call fail as an unreachable
/// database does.
public final class InMemorySigningKeyStore: SigningKeyStore, Sendable {
    private let records = Mutex<[SigningKeyRecord]>([])
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

    public func allKeys() throws -> [SigningKeyRecord] {
        try checkReachable()
        return records.withLock { $0 }
    }

    public func publishedKeys(at now: Date) throws -> [SigningKeyRecord] {
        try checkReachable()
        return records.withLock { $0.filter { $0.isPublished(at: now) } }
    }

    public func insert(_ key: SigningKeyRecord) throws {
        try checkReachable()
        try records.withLock { records in
            if records.contains(where: { $0.kid == key.kid }) { throw StoreError.conflict("duplicate kid") }
            if key.state == .active && records.contains(where: { $0.state == .active }) {
                throw StoreError.conflict("a key is already active")
            }
            records.append(key)
        }
    }

    public func activate(kid: String, at now: Date, previousKeyPublishUntil: Date) throws {
        try checkReachable()
        try records.withLock { records in
            guard let index = records.firstIndex(where: { $0.kid == kid }), records[index].state != .retired else {
                throw StoreError.notFound("no activatable key \(kid)")
            }
            if records[index].state == .active { return }
            for other in records.indices where records[other].state == .active {
                records[other].state = .retired
                records[other].retiredAt = now
                records[other].publishUntil = previousKeyPublishUntil
            }
            records[index].state = .active
            records[index].activatedAt = now
        }
    }

    public func removeExpiredKeys(at now: Date) throws -> Int {
        try checkReachable()
        return records.withLock { records in
            let before = records.count
            records.removeAll { $0.state == .retired && ($0.publishUntil ?? .distantPast) <= now }
            return before - records.count
        }
    }
}
