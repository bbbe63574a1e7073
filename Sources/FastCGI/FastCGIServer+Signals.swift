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
    /// A real `sigaction` handler is installed: whichever thread the kernel delivers the
    /// signal to runs it, and all it does is write the signal's number to a pipe; a thread of
    /// its own reads the pipe and starts the shutdown. (A Dispatch signal source on Linux only
    /// sees a signal that no thread takes first, which is not the case once worker threads
    /// exist.) Keep the returned value alive while the server runs; releasing it (or calling
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
    private let registration: Int

    init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        registration = SignalRelay.shared.register(signals: signals, handler: handler)
    }

    deinit {
        cancel()
    }

    /// Stops observing and puts back the actions the signals had before. Idempotent.
    public func cancel() {
        SignalRelay.shared.unregister(registration)
    }
}

/// The write end of the relay's pipe, read by the signal handler. Set once, before any
/// handler is installed, so the handler only ever performs an atomic load and `write(2)`,
/// both async-signal-safe.
private let signalRelayWriteDescriptor = Atomic<Int32>(-1)

private func relaySignal(_ number: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalRelayWriteDescriptor.load(ordering: .acquiring), &byte, 1)
    errno = savedErrno
}

/// The process-wide self-pipe between the C signal handler and the Swift handlers: one pipe
/// and one reading thread for the life of the process, any number of registrations.
private final class SignalRelay: Sendable {
    static let shared = SignalRelay()

    private struct Registration {
        var signals: [Int32]
        var handler: @Sendable (Int32) -> Void
    }

    private struct State {
        var nextIdentifier = 0
        var registrations: [Int: Registration] = [:]
        /// The action each observed signal had before the first registration asked for it.
        var previousActions: [Int32: sigaction] = [:]
    }

    private let state = Mutex(State())
    private let readDescriptor: Int32

    private init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            // A full pipe must never block the handler: signals beyond 64 KiB unread are dropped.
            _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        }
        readDescriptor = ends[0]
        signalRelayWriteDescriptor.store(ends[1], ordering: .releasing)
        guard readDescriptor >= 0 else { return }
        var thread = pthread_t()
        let started = pthread_create(
            &thread,
            nil,
            { _ in
                SignalRelay.shared.readForever()
                return nil
            },
            nil
        )
        if started == 0 { pthread_detach(thread) }
    }

    private func readForever() {
        var byte: UInt8 = 0
        while true {
            let count = read(readDescriptor, &byte, 1)
            if count == 1 {
                deliver(Int32(byte))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    private func deliver(_ signal: Int32) {
        let handlers = state.withLock { state in
            state.registrations.values.filter { $0.signals.contains(signal) }.map(\.handler)
        }
        for handler in handlers { handler(signal) }
    }

    func register(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) -> Int {
        state.withLock { state in
            let identifier = state.nextIdentifier
            state.nextIdentifier += 1
            state.registrations[identifier] = Registration(signals: signals, handler: handler)
            for number in signals where state.previousActions[number] == nil {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = relaySignal
                sigemptyset(&action.sa_mask)
                action.sa_flags = SA_RESTART
                var previous = sigaction()
                _ = sigaction(number, &action, &previous)
                state.previousActions[number] = previous
            }
            return identifier
        }
    }

    func unregister(_ identifier: Int) {
        state.withLock { state in
            guard state.registrations.removeValue(forKey: identifier) != nil else { return }
            let stillObserved = Set(state.registrations.values.flatMap(\.signals))
            for (number, previous) in state.previousActions where !stillObserved.contains(number) {
                var action = previous
                _ = sigaction(number, &action, nil)
                state.previousActions[number] = nil
            }
        }
    }
}
