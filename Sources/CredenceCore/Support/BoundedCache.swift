import Synchronization

/// A map of bounded size shared by every worker thread, for values that are costly to
/// compute and wholly determined by their key: a changed input is a new key, so an entry
/// never goes stale and nothing needs invalidating. The client-certificate and
/// registered-DN caches are built on it.
///
/// At most ``capacity`` entries; when full, the entry inserted longest ago makes room
/// (first in, first out: a hit only looks up, so it holds the lock for one dictionary
/// lookup). Values are computed outside the lock: two threads missing the same key at
/// once may both compute it, and the first to finish is kept.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: Value] = [:]
        /// Keys in insertion order, as a ring: `next` is the slot written next, holding the
        /// oldest key once the ring is full.
        var ring: [Key?]
        var next = 0
    }

    private let state: Mutex<State>
    /// The most entries kept.
    public let capacity: Int

    /// An empty cache of at most `capacity` entries (at least one).
    public init(capacity: Int) {
        let capacity = max(capacity, 1)
        self.capacity = capacity
        self.state = Mutex(State(ring: Array(repeating: nil, count: capacity)))
    }

    /// The cached value for `key`, if any.
    public func value(for key: Key) -> Value? {
        state.withLock { $0.entries[key] }
    }

    /// The cached value for `key`, or `make()`'s, which is then cached. An error is thrown
    /// as is and caches nothing.
    public func value<Failure: Error>(
        for key: Key,
        orMake make: () throws(Failure) -> Value
    ) throws(Failure) -> Value {
        if let cached = value(for: key) { return cached }
        let made = try make()
        return insert(made, for: key)
    }

    /// Caches `value` for `key` unless another value got there first; returns the value
    /// now cached.
    @discardableResult
    public func insert(_ value: Value, for key: Key) -> Value {
        state.withLock { state in
            if let existing = state.entries[key] { return existing }
            if let oldest = state.ring[state.next] {
                state.entries[oldest] = nil
            }
            state.ring[state.next] = key
            state.next = (state.next + 1) % capacity
            state.entries[key] = value
            return value
        }
    }

    /// How many entries are cached.
    public var count: Int {
        state.withLock { $0.entries.count }
    }
}
