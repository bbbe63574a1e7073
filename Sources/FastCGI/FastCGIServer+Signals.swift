import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FastCGIServer {
    /// Makes SIGTERM and SIGINT start a graceful ``shutdown()``, so `run()` returns and the
    /// process can exit 0 when systemd, spawn-fcgi's supervisor or a terminal stops it.
    ///
    /// The signals' action is set to "ignore" and a Dispatch signal source observes them,
    /// which works whatever thread the kernel picks to deliver them to. Keep the returned
    /// value alive while the server runs; releasing it (or calling
    /// ``TerminationSignalObservation/cancel()``) puts back the actions the signals had.
    public func shutdownOnTerminationSignals() -> TerminationSignalObservation {
        let logger = core.logger
        return TerminationSignalObservation(signals: [SIGTERM, SIGINT]) { [weak self] signal in
            logger.notice("received signal \(signal); shutting down", metadata: ["fastcgi.signal": "\(signal)"])
            self?.shutdown()
        }
    }
}

/// Keeps SIGTERM/SIGINT observed for ``FastCGIServer/shutdownOnTerminationSignals()``.
public final class TerminationSignalObservation: Sendable {
    private struct State {
        var sources: [any DispatchSourceSignal]
        var previousActions: [(signal: Int32, action: sigaction)]
    }

    // Dispatch sources are thread-safe but not marked Sendable; the mutex makes `cancel`
    // safe to race with `deinit`.
    private let state: Mutex<State>

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        var previousActions: [(signal: Int32, action: sigaction)] = []
        for number in signals {
            var previous = sigaction()
            _ = sigaction(number, nil, &previous)
            previousActions.append((number, previous))
            _ = signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
        state = Mutex(State(sources: sources, previousActions: previousActions))
    }

    deinit {
        cancel()
    }

    /// Stops observing and puts back the actions the signals had before. Idempotent.
    public func cancel() {
        state.withLock { state in
            for source in state.sources { source.cancel() }
            for (number, action) in state.previousActions {
                var previous = action
                _ = sigaction(number, &previous, nil)
            }
            state.sources.removeAll()
            state.previousActions.removeAll()
        }
    }
}
