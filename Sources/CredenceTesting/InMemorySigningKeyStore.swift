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

    public func activate(
        kid: String,
        at now: Date,
        previousKeyPublishUntil: Date,
        retag: (_ before: SigningKeyRecord, _ after: SigningKeyRecord) throws -> [UInt8]
    ) throws {
        try checkReachable()
        try records.withLock { records in
            guard let index = records.firstIndex(where: { $0.kid == kid }), records[index].state != .retired else {
                throw StoreError.notFound("no activatable key \(kid)")
            }
            if records[index].state == .active { return }
            // All or nothing, like the database's transaction: compute every change first.
            var changed = records
            for other in changed.indices where changed[other].state == .active {
                let before = changed[other]
                changed[other].state = .retired
                changed[other].retiredAt = now
                changed[other].publishUntil = previousKeyPublishUntil
                changed[other].integrityTag = try retag(before, changed[other])
            }
            let before = changed[index]
            changed[index].state = .active
            changed[index].activatedAt = now
            changed[index].integrityTag = try retag(before, changed[index])
            records = changed
        }
    }

    public func updateIntegrityTag(kid: String, tag: (SigningKeyRecord) throws -> [UInt8]) throws {
        try checkReachable()
        try records.withLock { records in
            guard let index = records.firstIndex(where: { $0.kid == kid }) else {
                throw StoreError.notFound("no key \(kid)")
            }
            records[index].integrityTag = try tag(records[index])
        }
    }

    /// Replaces a stored row as it is, bypassing every rule: what someone with write access
    /// to the table could do (tests of the integrity checks).
    public func overwrite(_ record: SigningKeyRecord) {
        records.withLock { records in
            if let index = records.firstIndex(where: { $0.kid == record.kid }) {
                records[index] = record
            } else {
                records.append(record)
            }
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
