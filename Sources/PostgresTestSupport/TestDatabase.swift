import Foundation
import PostgresLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The database the PostgreSQL tests run against, shared by every test of the
/// process. `CREDENCE_TEST_DATABASE_URL` (a conninfo or URI) names one; without
/// it the first test to ask starts a throwaway cluster in a temporary folder,
/// which is stopped and removed when the test process exits. Each test works
/// in a schema of its own (`withSchema`), so tests run in parallel.
public enum TestDatabase {
    /// The environment variable naming an existing database.
    public static let environmentVariable = "CREDENCE_TEST_DATABASE_URL"

    /// The conninfo of the shared database, starting the throwaway cluster on first use.
    public static func conninfo() throws -> String {
        switch shared {
        case .success(let source): source.conninfo
        case .failure(let error): throw error
        }
    }

    /// Runs `body` with a configuration whose `search_path` is a new, empty
    /// schema, dropped afterwards, so each test has tables of its own.
    public static func withSchema<Value>(
        _ body: (PostgresConfiguration) throws -> Value
    ) throws -> Value {
        let base = try conninfo()
        let schema = "test_" + String(UInt64.random(in: .min ... .max), radix: 16)
        let admin = PostgresConnection(conninfo: base)
        try admin.execute("CREATE SCHEMA \(identifier: schema)")
        defer {
            _ = try? admin.execute("DROP SCHEMA \(identifier: schema) CASCADE")
            admin.close()
        }
        var configuration = PostgresConfiguration(conninfo: base)
        configuration.searchPath = [schema]
        configuration.reconnectBackoff = .zero ... .zero
        return try body(configuration)
    }

    /// A new connection to the shared database (public schema), for
    /// administrative statements such as `pg_terminate_backend`.
    public static func adminConnection() throws -> PostgresConnection {
        PostgresConnection(conninfo: try conninfo())
    }
}

/// Where the shared database comes from.
private enum SharedSource: Sendable {
    case external(String)
    case throwaway(ThrowawayCluster)

    var conninfo: String {
        switch self {
        case .external(let conninfo): conninfo
        case .throwaway(let cluster): cluster.conninfo
        }
    }
}

/// Started lazily and exactly once (a global's initializer), by whichever test asks first.
private let shared: Result<SharedSource, TestDatabaseError> = {
    if let conninfo = ProcessInfo.processInfo.environment[TestDatabase.environmentVariable], !conninfo.isEmpty {
        return .success(.external(conninfo))
    }
    do {
        let cluster = try ThrowawayCluster()
        atexit {
            if case .success(.throwaway(let cluster)) = shared { cluster.destroy() }
        }
        return .success(.throwaway(cluster))
    } catch let error as TestDatabaseError {
        return .failure(error)
    } catch {
        return .failure(TestDatabaseError("\(error)"))
    }
}()
