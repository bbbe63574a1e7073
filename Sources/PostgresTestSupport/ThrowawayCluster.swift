import Foundation

/// A PostgreSQL cluster of the tests' own, in a fresh temporary folder,
/// managed with `scripts/postgres-cluster.sh`: for the shared test database
/// when `CREDENCE_TEST_DATABASE_URL` is not set, and for tests that must stop
/// and restart a server.
public final class ThrowawayCluster: Sendable {
    /// The folder holding the cluster (data, socket, log); removed by `destroy()`.
    public let directory: String
    /// The libpq conninfo of the `credence` database, as the script printed it.
    public let conninfo: String

    /// Whether a PostgreSQL server and the script are at hand to make one.
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/bin/bash")
            && FileManager.default.fileExists(atPath: scriptPath)
            && ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.isEmpty == false
                || ProcessInfo.processInfo.environment["PG_BINDIR"] != nil)
    }

    /// `scripts/postgres-cluster.sh` of this checkout.
    static let scriptPath: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/postgres-cluster.sh").path

    /// Creates and starts a cluster in a new temporary folder.
    public init() throws {
        var template = Array("/tmp/credence-pg-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard let made else {
            throw TestDatabaseError("mkdtemp failed")
        }
        let directory = String(cString: made)
        self.directory = directory
        let result = Self.script("start", directory)
        let conninfo = result.output.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines)
        guard result.status == 0, !conninfo.isEmpty else {
            _ = Self.script("stop", directory)
            try? FileManager.default.removeItem(atPath: directory)
            throw TestDatabaseError("postgres-cluster.sh start failed (status \(result.status))")
        }
        self.conninfo = conninfo
    }

    /// Stops the server (a fast shutdown: sessions are cut).
    public func stop() throws {
        let result = Self.script("stop", directory)
        guard result.status == 0 else { throw TestDatabaseError("postgres-cluster.sh stop failed") }
    }

    /// Starts the server again on the same folder and port.
    public func start() throws {
        let result = Self.script("start", directory)
        guard result.status == 0 else { throw TestDatabaseError("postgres-cluster.sh start failed") }
    }

    /// Stops the server and removes the folder.
    public func destroy() {
        _ = Self.script("stop", directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func script(_ command: String, _ directory: String) -> (status: Int32, output: String) {
        Subprocess.run(
            ["/bin/bash", scriptPath, command, directory],
            environment: ["POSTGRES_CLUSTER_FAST": "1"]
        )
    }
}

/// A failure to provide the tests with a database.
public struct TestDatabaseError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    init(_ description: String) { self.description = description }
}
