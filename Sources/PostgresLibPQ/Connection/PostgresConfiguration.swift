/// How a worker reaches PostgreSQL and how its session behaves. The conninfo
/// may hold a password, so it is never part of `description`.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// A libpq connection string, `key=value …` or `postgresql://…` URI.
    public var conninfo: String
    /// Seconds to wait for a connection when the conninfo sets no
    /// `connect_timeout`, so an unreachable database answers quickly.
    public var connectTimeoutSeconds: Int = 3
    /// `application_name`, shown in `pg_stat_activity` (a conninfo value wins).
    public var applicationName: String = "credence"
    /// The session's `statement_timeout`, so one stuck statement cannot hold a
    /// worker forever; `nil` leaves the server's setting.
    public var statementTimeout: Duration? = .seconds(10)
    /// The session's `search_path`, when Credence's tables live in their own schema.
    public var searchPath: [String]?
    /// The wait after a failed connection attempt before the next one, doubled
    /// after each further failure up to the upper bound; calls in between fail
    /// at once, so a down database is not hammered.
    public var reconnectBackoff: ClosedRange<Duration> = .milliseconds(250)...(.seconds(5))
    /// How many distinct statements one session keeps prepared before it drops them all.
    public var preparedStatementLimit: Int = 256

    /// A configuration with the defaults above.
    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    public var description: String {
        "PostgresConfiguration(connectTimeout: \(connectTimeoutSeconds)s, "
            + "statementTimeout: \(statementTimeout.map { "\($0)" } ?? "server default"), "
            + "applicationName: \(applicationName))"
    }
}
