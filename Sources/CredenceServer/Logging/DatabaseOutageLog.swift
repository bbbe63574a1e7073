import CredenceCore
import Foundation
import Logging
import Synchronization

/// Turns the database failures that every worker meets into two log events
/// per outage, so that error-level alerting fires once per outage rather than
/// once per request (thousands a second under load):
///
/// - one `error` line, `msg="database unreachable"`, when the first request
///   of the process finds the database unreachable;
/// - one `notice` line, `msg="database reachable again"`, when a worker
///   reaches it again, with the outage's duration (`outage.duration_s`) and
///   the number of requests answered 503 meanwhile (`outage.requests_503`).
///
/// One instance serves the whole process (all workers share it through
/// `CredenceApplication`): an outage is one event however many workers notice
/// it; several responder processes each log their own. The per-request access
/// lines of those 503s stay, at `notice` (see `CredenceResponder`).
///
/// For `settle` seconds after a recovery, failures start no new outage: workers
/// still waiting out their reconnect back-off (up to 5 s) fail without trying
/// the database, and would otherwise report a second outage at once. A
/// database that fails again for longer is reported by the first failure after
/// that.
public final class DatabaseOutageLog: Sendable {
    private struct State {
        var outage: (started: Date, unavailableAnswers: Int)?
        var lastRecovery: Date?
    }

    private let logger: Logger
    private let clock: any Clock
    private let settle: TimeInterval
    private let state = Mutex(State())

    /// A log of outages written to `logger`, timed with `clock`.
    public init(logger: Logger, clock: any Clock, settle: TimeInterval = 10) {
        self.logger = logger
        self.clock = clock
        self.settle = settle
    }

    /// Whether the database is currently taken to be unreachable.
    public var isOngoing: Bool { state.withLock { $0.outage != nil } }

    /// Records a request answered 503 because the database is unreachable.
    /// The first one since the database was last reachable starts an outage
    /// and writes the error line (`detail`: why, never a secret).
    public func requestFailed(detail: String) {
        state.withLock { state in
            if let ongoing = state.outage {
                state.outage = (ongoing.started, ongoing.unavailableAnswers + 1)
                return
            }
            let now = clock.now
            if let recovered = state.lastRecovery, now.timeIntervalSince(recovered) < settle { return }
            state.outage = (now, 1)
            // Logged under the lock, so that the recovery line can never come first.
            logger.error(
                "database unreachable",
                metadata: [
                    "error.detail": .string(detail),
                    "outage.note": "requests that need the database answer 503 until it is back",
                ]
            )
        }
    }

    /// Records that a worker reached the database (a health check answered, or
    /// a session was opened again). Ends the outage, if there is one, with the
    /// notice line.
    public func databaseReached() {
        state.withLock { state in
            guard let ended = state.outage else { return }
            let now = clock.now
            state.outage = nil
            state.lastRecovery = now
            logger.notice(
                "database reachable again",
                metadata: [
                    "outage.duration_s": .string(String(format: "%.1f", max(0, now.timeIntervalSince(ended.started)))),
                    "outage.requests_503": .stringConvertible(ended.unavailableAnswers),
                ]
            )
        }
    }
}
