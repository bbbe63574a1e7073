import CredenceCore
import Foundation
import Synchronization
import Testing

/// The bounded, thread-safe map under the client-certificate and registered-DN caches.
@Suite struct BoundedCacheTests {
    struct Failure: Error, Equatable {}

    /// Counts calls of a value maker (from many threads).
    final class Calls: Sendable {
        private let count = Atomic<Int>(0)
        func record() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    @Test func aHitDoesNotComputeAgain() {
        let cache = BoundedCache<String, Int>(capacity: 4)
        let calls = Calls()
        let first = cache.value(for: "a") {
            calls.record()
            return 1
        }
        let second = cache.value(for: "a") {
            calls.record()
            return 2
        }
        #expect(first == 1)
        #expect(second == 1)
        #expect(calls.value == 1)
        #expect(cache.value(for: "a") == 1)
    }

    @Test func aMissComputesEachKey() {
        let cache = BoundedCache<String, Int>(capacity: 4)
        #expect(cache.value(for: "a") == nil)
        #expect(cache.value(for: "a") { 1 } == 1)
        #expect(cache.value(for: "b") { 2 } == 2)
        #expect(cache.value(for: "a") == 1)
        #expect(cache.value(for: "b") == 2)
        #expect(cache.count == 2)
    }

    @Test func anErrorIsThrownAndNothingCached() {
        let cache = BoundedCache<String, Int>(capacity: 4)
        #expect(throws: Failure.self) {
            _ = try cache.value(for: "a") { () throws(Failure) -> Int in throw Failure() }
        }
        #expect(cache.count == 0)
        #expect(cache.value(for: "a") { 3 } == 3)
    }

    @Test func theFirstInsertWins() {
        let cache = BoundedCache<String, Int>(capacity: 4)
        #expect(cache.insert(1, for: "a") == 1)
        #expect(cache.insert(2, for: "a") == 1)
        #expect(cache.value(for: "a") == 1)
        #expect(cache.count == 1)
    }

    @Test(arguments: [1, 2, 5])
    func theOldestEntryMakesRoom(capacity: Int) {
        let cache = BoundedCache<Int, Int>(capacity: capacity)
        for key in 0..<(capacity * 3 + 1) {
            cache.insert(key * 10, for: key)
            #expect(cache.count == min(key + 1, capacity))
        }
        let last = capacity * 3
        // Exactly the newest `capacity` keys remain.
        for key in 0...last {
            #expect(cache.value(for: key) == (key > last - capacity ? key * 10 : nil))
        }
    }

    @Test func aZeroCapacityStillHoldsOne() {
        let cache = BoundedCache<Int, Int>(capacity: 0)
        #expect(cache.capacity == 1)
        cache.insert(1, for: 1)
        cache.insert(2, for: 2)
        #expect(cache.count == 1)
        #expect(cache.value(for: 2) == 2)
    }

    @Test func manyThreadsShareOneCache() {
        let cache = BoundedCache<Int, [Int]>(capacity: 16)
        let calls = Calls()
        // 64 threads over 8 keys (all fit): every value right, each key made at most once per
        // thread that missed it, and far fewer makes than lookups.
        DispatchQueue.concurrentPerform(iterations: 64) { thread in
            for round in 0..<200 {
                let key = (thread + round) % 8
                let value = cache.value(for: key) {
                    calls.record()
                    return Array(repeating: key, count: 32)
                }
                #expect(value == Array(repeating: key, count: 32))
            }
        }
        #expect(cache.count == 8)
        #expect(calls.value >= 8 && calls.value <= 8 * 64)
        // More keys than room, from many threads: the bound holds and values stay right.
        DispatchQueue.concurrentPerform(iterations: 64) { thread in
            for round in 0..<200 {
                let key = 100 + (thread * 7 + round) % 50
                #expect(cache.value(for: key) { Array(repeating: key, count: 32) } == Array(repeating: key, count: 32))
                #expect(cache.count <= 16)
            }
        }
        #expect(cache.count == 16)
    }
}
