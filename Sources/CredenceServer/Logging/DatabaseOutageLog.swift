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
public final class DatabaseOutageLog: Sendable {
    private struct Outage {
        var started: Date
        var unavailableAnswers: Int
    }

    private let logger: Logger
    private let clock: any Clock
    private let outage = Mutex<Outage?>(nil)

    /// A log of outages written to `logger`, timed with `clock`.
    public init(logger: Logger, clock: any Clock) {
        self.logger = logger
        self.clock = clock
    }

    /// Whether the database is currently taken to be unreachable.
    public var isOngoing: Bool { outage.withLock { $0 != nil } }

    /// Records a request answered 503 because the database is unreachable.
    /// The first one since the database was last reachable starts an outage
    /// and writes the error line (`detail`: why, never a secret).
    public func requestFailed(detail: String) {
        outage.withLock { outage in
            if var ongoing = outage {
                ongoing.unavailableAnswers += 1
                outage = ongoing
                return
            }
            outage = Outage(started: clock.now, unavailableAnswers: 1)
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
        outage.withLock { outage in
            guard let ended = outage else { return }
            outage = nil
            let seconds = max(0, clock.now.timeIntervalSince(ended.started))
            logger.notice(
                "database reachable again",
                metadata: [
                    "outage.duration_s": .string(String(format: "%.1f", seconds)),
                    "outage.requests_503": .stringConvertible(ended.unavailableAnswers),
                ]
            )
        }
    }
}
