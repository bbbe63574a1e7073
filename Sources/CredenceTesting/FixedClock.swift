import CredenceCore
import Foundation
import Synchronization

/// A clock that says what the test tells it, so every time rule can be
/// checked at exact instants.
public final class FixedClock: Clock {
    private let instant: Mutex<Date>

    /// Creates a clock stopped at `now` (default: 2026-01-01T00:00:00Z).
    public init(_ now: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        instant = Mutex(now)
    }

    /// The instant the clock is stopped at.
    public var now: Date { instant.withLock { $0 } }

    /// Moves the clock forward (or back, with a negative interval).
    public func advance(by seconds: TimeInterval) {
        instant.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock.
    public func set(_ date: Date) {
        instant.withLock { $0 = date }
    }
}
