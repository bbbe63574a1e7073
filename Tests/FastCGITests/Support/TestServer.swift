import Dispatch
import Foundation
import Logging
import Synchronization
import Testing

@testable import FastCGI

/// A unique, short unix socket path (sun_path holds 107 bytes).
func temporarySocketPath() -> String {
    "/tmp/fcgi-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
}

/// Log lines kept in memory, to check what the server warns about.
final class LogRecorder: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    func append(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }

    /// Every message so far, oldest first (for a failed expectation's comment).
    var messages: [String] { lines.withLock { $0.map(\.message) } }

    func contains(level: Logger.Level, _ fragment: String) -> Bool {
        lines.withLock { $0.contains { $0.level == level && $0.message.contains(fragment) } }
    }

    func logger() -> Logger {
        var logger = Logger(label: "credence.fastcgi") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append(event.level, "\(event.message)")
    }
}

/// A ``FastCGIServer`` running on its own thread for one test.
final class TestServer: Sendable {
    let server: FastCGIServer
    let socketPath: String?
    let recorder: LogRecorder
    private let finished = DispatchSemaphore(value: 0)
    private let runError = Mutex<FastCGIServerError?>(nil)

    init(
        workers: Int = 2,
        maxParametersBytes: Int = 16 * 1024,
        maxBodyBytes: Int = 64 * 1024,
        maxDiscardedBodyBytes: Int = 1024 * 1024,
        grace: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(10),
        allowedPeers: [String] = [],
        listen: FastCGIListenAddress? = nil,
        clientPath: String? = nil,
        makeHandler: @escaping @Sendable (Int) -> any FastCGIRequestHandler = { _ in EchoHandler() }
    ) throws {
        let address: FastCGIListenAddress
        if let listen {
            address = listen
            if case .unixSocket(let path, _) = listen { socketPath = path } else { socketPath = clientPath }
        } else {
            let path = temporarySocketPath()
            address = .unixSocket(path: path, permissions: 0o600)
            socketPath = path
        }
        recorder = LogRecorder()
        let configuration = FastCGIServerConfiguration(
            listen: address,
            workerCount: workers,
            maxParametersBytes: maxParametersBytes,
            maxBodyBytes: maxBodyBytes,
            maxDiscardedBodyBytes: maxDiscardedBodyBytes,
            shutdownGracePeriod: grace,
            connectionIOTimeout: .seconds(5),
            requestTimeout: requestTimeout,
            allowedPeers: allowedPeers
        )
        server = try FastCGIServer(configuration: configuration, logger: recorder.logger(), makeHandler: makeHandler)
        Thread.detachNewThread { [self] in
            do throws(FastCGIServerError) { try server.run() } catch { runError.withLock { $0 = error } }
            finished.signal()
        }
    }

    /// A client connected to this server.
    func client() throws -> FastCGITestClient {
        if let socketPath { return try FastCGITestClient(unixPath: socketPath) }
        return try FastCGITestClient(tcpPort: server.tcpPort ?? 0)
    }

    /// Starts shutdown; true if `run()` returned within `seconds`.
    @discardableResult
    func stop(within seconds: Int = 20) -> Bool {
        server.shutdown()
        return waitForRun(seconds: seconds)
    }

    func waitForRun(seconds: Int) -> Bool {
        if finished.wait(timeout: .now() + .seconds(seconds)) == .success {
            finished.signal()
            return true
        }
        return false
    }

    var error: FastCGIServerError? { runError.withLock { $0 } }

    /// Polls the server's counters until `condition` holds (at most 10 s).
    func waitUntil(_ condition: (FastCGIServerStatistics) -> Bool) -> Bool {
        for _ in 0..<1000 {
            if condition(server.statistics) { return true }
            usleep(10_000)
        }
        return false
    }
}
