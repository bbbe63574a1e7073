import CredenceCore
import Foundation
import Logging
import Synchronization

/// Collapses storms of one routine event into one line per interval. A web
/// server (or anything else on the socket) that sends garbage makes the
/// FastCGI layer log a line per connection ("closed a FastCGI connection that
/// carried no valid request"), thousands a second; with this filter the first
/// such event is written, the repeats within `interval` are only counted, and
/// one summary line per interval says how many there were: the same level and
/// `msg`, with `log.suppressed` (the count) and `log.window_s`.
///
/// Events are told apart by their message; only events at `notice` and below
/// are filtered (warnings and errors are rare and already rate-limited where
/// they can repeat). Call `flush()` periodically (`credence serve` does every
/// interval) so that the last window of a storm that stopped is reported too.
public final class RepeatedEventFilter: Sendable {
    private struct Window {
        var started: Date
        var suppressed: Int
        var level: Logger.Level
    }

    private let summaries: Logger
    private let interval: TimeInterval
    private let clock: any Clock
    private let windows = Mutex<[String: Window]>([:])

    /// A filter writing its summary lines to `summaries` (the unfiltered logger).
    public init(summaries: Logger, interval: TimeInterval = 60, clock: any Clock = SystemClock()) {
        self.summaries = summaries
        self.interval = interval
        self.clock = clock
    }

    /// Whether an event should be written now; otherwise it is counted for the summary.
    public func admits(level: Logger.Level, message: String) -> Bool {
        guard level <= .notice else { return true }
        let now = clock.now
        return windows.withLock { windows in
            guard var window = windows[message] else {
                windows[message] = Window(started: now, suppressed: 0, level: level)
                return true
            }
            if now.timeIntervalSince(window.started) >= interval {
                if window.suppressed == 0 {
                    windows[message] = Window(started: now, suppressed: 0, level: level)
                    return true
                }
                summarize(message, window, now: now)
                windows[message] = Window(started: now, suppressed: 1, level: level)
                return false
            }
            window.suppressed += 1
            windows[message] = window
            return false
        }
    }

    /// Writes the summary of every window that has ended and forgets quiet ones.
    public func flush() {
        let now = clock.now
        windows.withLock { windows in
            for (message, window) in windows where now.timeIntervalSince(window.started) >= interval {
                if window.suppressed > 0 {
                    summarize(message, window, now: now)
                    windows[message] = Window(started: now, suppressed: 0, level: window.level)
                } else {
                    windows[message] = nil
                }
            }
        }
    }

    private func summarize(_ message: String, _ window: Window, now: Date) {
        summaries.log(
            level: window.level,
            "\(message)",
            metadata: [
                "log.suppressed": .stringConvertible(window.suppressed),
                "log.window_s": .string(String(format: "%.1f", now.timeIntervalSince(window.started))),
            ]
        )
    }
}

/// A log handler that passes on what a `RepeatedEventFilter` admits.
public struct RepeatedEventLogHandler: LogHandler {
    private var inner: any LogHandler
    private let filter: RepeatedEventFilter

    /// Wraps `inner` (whose level and metadata this handler shares).
    public init(inner: any LogHandler, filter: RepeatedEventFilter) {
        self.inner = inner
        self.filter = filter
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        if filter.admits(level: event.level, message: event.message.description) {
            inner.log(event: event)
        }
    }
}
