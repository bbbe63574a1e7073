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
    /// The signals' default action is replaced by "ignore" and a Dispatch signal source
    /// observes them, which works whatever thread the kernel picks to deliver them to. Keep
    /// the returned value alive while the server runs; releasing it (or calling
    /// ``TerminationSignalObservation/cancel()``) restores the default actions.
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
    // Dispatch sources are thread-safe but not marked Sendable; the mutex makes `cancel`
    // safe to race with `deinit`.
    private let sources: Mutex<[any DispatchSourceSignal]>
    private let signals: [Int32]

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            _ = signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    deinit {
        cancel()
    }

    /// Stops observing and restores the signals' default actions. Idempotent.
    public func cancel() {
        let active = sources.withLock { list -> [any DispatchSourceSignal] in
            defer { list.removeAll() }
            return list
        }
        guard !active.isEmpty else { return }
        for source in active { source.cancel() }
        for number in signals { _ = signal(number, SIG_DFL) }
    }
}
