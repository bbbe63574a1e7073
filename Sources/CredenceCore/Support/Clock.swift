import Foundation

/// The source of "now" for every rule, so that tests can pin time instead of
/// calling `Date()` inside a decision.
public protocol Clock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The wall clock, used in production.
public struct SystemClock: Clock {
    /// Creates the wall clock.
    public init() {}

    /// The current instant from the system.
    public var now: Date { Date() }
}
