import PostgresLibPQ
import Testing

/// `PostgresTransportSecurity` reads both conninfo forms through libpq and warns only when a
/// connection crosses a network without `sslmode=verify-full` (issue 6, item 8).
@Suite struct TransportSecurityTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let conninfo: String
        let transport: PostgresTransportSecurity.Transport
        let sslmode: String
        let warns: Bool
        let warnsWithReason: Bool
        var testDescription: String { conninfo }
    }

    static let cases: [Case] = [
        Case(
            conninfo: "dbname=credence",
            transport: .unixSocket,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "host=/run/postgresql dbname=credence user=credence",
            transport: .unixSocket,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "postgresql://credence@%2Frun%2Fpostgresql/credence",
            transport: .unixSocket,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "host=localhost port=5432",
            transport: .loopbackTCP,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "postgresql://127.0.0.1:5432/credence",
            transport: .loopbackTCP,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "postgresql://[::1]/credence",
            transport: .loopbackTCP,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "host=db.bank.example dbname=credence",
            transport: .networkTCP,
            sslmode: "prefer",
            warns: true,
            warnsWithReason: true
        ),
        Case(
            conninfo: "host=db.bank.example sslmode=disable",
            transport: .networkTCP,
            sslmode: "disable",
            warns: true,
            warnsWithReason: true
        ),
        Case(
            conninfo: "host=db.bank.example sslmode=require",
            transport: .networkTCP,
            sslmode: "require",
            warns: true,
            warnsWithReason: false
        ),
        Case(
            conninfo: "host='db.bank.example' sslmode = 'verify-ca'",
            transport: .networkTCP,
            sslmode: "verify-ca",
            warns: true,
            warnsWithReason: false
        ),
        Case(
            conninfo: "host=db.bank.example sslmode=verify-full sslrootcert=/etc/ssl/db-ca.pem",
            transport: .networkTCP,
            sslmode: "verify-full",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "postgresql://credence:secret@db.bank.example:5432/credence",
            transport: .networkTCP,
            sslmode: "prefer",
            warns: true,
            warnsWithReason: true
        ),
        Case(
            conninfo: "postgresql://credence@db.bank.example/credence?sslmode=require",
            transport: .networkTCP,
            sslmode: "require",
            warns: true,
            warnsWithReason: false
        ),
        Case(
            conninfo: "postgres://db.bank.example/credence?sslmode=verify-full",
            transport: .networkTCP,
            sslmode: "verify-full",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "host=/run/postgresql,db2.bank.example",
            transport: .networkTCP,
            sslmode: "prefer",
            warns: true,
            warnsWithReason: true
        ),
        Case(
            conninfo: "host=db.bank.example hostaddr=127.0.0.1",
            transport: .loopbackTCP,
            sslmode: "prefer",
            warns: false,
            warnsWithReason: false
        ),
        Case(
            conninfo: "hostaddr=192.0.2.10 sslmode=allow",
            transport: .networkTCP,
            sslmode: "allow",
            warns: true,
            warnsWithReason: true
        ),
    ]

    @Test(arguments: cases)
    func classifiesAndWarns(_ testCase: Case) throws {
        let security = try #require(PostgresTransportSecurity(conninfo: testCase.conninfo, environment: [:]))
        #expect(security.transport == testCase.transport)
        #expect(security.sslmode == testCase.sslmode)
        #expect((security.warning(requireReasonGiven: false) != nil) == testCase.warns)
        #expect((security.warning(requireReasonGiven: true) != nil) == testCase.warnsWithReason)
    }

    @Test func theEnvironmentFillsWhatTheStringLeavesOut() throws {
        let fromEnvironment = try #require(
            PostgresTransportSecurity(
                conninfo: "dbname=credence",
                environment: ["PGHOST": "db.bank.example", "PGSSLMODE": "verify-full"]
            )
        )
        #expect(fromEnvironment.transport == .networkTCP)
        #expect(fromEnvironment.sslmode == "verify-full")
        let stringWins = try #require(
            PostgresTransportSecurity(
                conninfo: "host=db.bank.example sslmode=disable",
                environment: ["PGSSLMODE": "verify-full"]
            )
        )
        #expect(stringWins.sslmode == "disable")
    }

    @Test func aWarningNeverQuotesThePassword() throws {
        let security = try #require(
            PostgresTransportSecurity(conninfo: "host=db.bank.example password=hunter2", environment: [:])
        )
        #expect(security.warning(requireReasonGiven: false)?.contains("hunter2") == false)
        #expect(!"\(security)".contains("hunter2"))
    }

    @Test(arguments: ["host=db sslmode", "postgresql://[::1", "nonsense=1", "host='unterminated"])
    func anUnparsableStringIsNil(conninfo: String) {
        #expect(PostgresTransportSecurity(conninfo: conninfo, environment: [:]) == nil)
    }
}
