import CredenceCore
import CredenceTesting
import Foundation
import Logging
import Synchronization
import Testing

@testable import CredenceServer

/// Keeps every event of the loggers made with it, for assertions.
final class RecordedEvents: Sendable {
    struct Event: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let events = Mutex<[Event]>([])

    var all: [Event] { events.withLock { $0 } }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in Handler(events: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ event: Event) {
        events.withLock { $0.append(event) }
    }

    private struct Handler: LogHandler {
        let events: RecordedEvents
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var flat: [String: String] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                flat[key] = "\(value)"
            }
            events.append(Event(level: event.level, message: event.message.description, metadata: flat))
        }
    }
}

@Suite struct DatabaseOutageLogTests {
    let clock = FixedClock()
    let events = RecordedEvents()

    func outageLog() -> DatabaseOutageLog {
        DatabaseOutageLog(logger: events.logger("credence.database"), clock: clock)
    }

    @Test func oneErrorAndOneRecoveryPerOutageWithDurationAndCount() throws {
        let outages = outageLog()
        outages.databaseReached()
        #expect(events.all.isEmpty, "no outage, nothing to report")

        for _ in 0..<250 {
            outages.requestFailed(detail: "connection refused")
            clock.advance(by: 0.1)
        }
        #expect(outages.isOngoing)
        #expect(events.all.count == 1)
        let start = try #require(events.all.first)
        #expect(start.level == .error)
        #expect(start.message == "database unreachable")
        #expect(start.metadata["error.detail"] == "connection refused")

        clock.advance(by: 7)
        outages.databaseReached()
        outages.databaseReached()
        #expect(!outages.isOngoing)
        #expect(events.all.count == 2)
        let end = try #require(events.all.last)
        #expect(end.level == .notice)
        #expect(end.message == "database reachable again")
        #expect(end.metadata["outage.duration_s"] == "32.0")
        #expect(end.metadata["outage.requests_503"] == "250")
    }

    @Test func aSecondOutageIsReportedAfresh() throws {
        let outages = outageLog()
        outages.requestFailed(detail: "first")
        clock.advance(by: 2)
        outages.databaseReached()
        clock.advance(by: 10)
        outages.requestFailed(detail: "second")
        outages.requestFailed(detail: "second again")
        clock.advance(by: 1)
        outages.databaseReached()
        #expect(events.all.map(\.level) == [.error, .notice, .error, .notice])
        #expect(events.all[2].metadata["error.detail"] == "second")
        #expect(events.all[3].metadata["outage.duration_s"] == "1.0")
        #expect(events.all[3].metadata["outage.requests_503"] == "2")
    }

    @Test func failuresJustAfterARecoveryStartNoOutage() {
        // Workers still in their reconnect back-off fail without trying.
        let outages = outageLog()
        outages.requestFailed(detail: "down")
        outages.databaseReached()
        clock.advance(by: 9.9)
        outages.requestFailed(detail: "back-off")
        #expect(!outages.isOngoing)
        #expect(events.all.map(\.level) == [.error, .notice])
        clock.advance(by: 0.2)
        outages.requestFailed(detail: "down again")
        #expect(outages.isOngoing)
        #expect(events.all.map(\.level) == [.error, .notice, .error])
    }

    @Test func manyWorkersAtOnceLogOneOutage() {
        let outages = outageLog()
        DispatchQueue.concurrentPerform(iterations: 32) { _ in
            for _ in 0..<100 { outages.requestFailed(detail: "down") }
        }
        outages.databaseReached()
        #expect(events.all.map(\.level) == [.error, .notice])
        #expect(events.all.last?.metadata["outage.requests_503"] == "3200")
    }
}

/// The responder feeds the outage log: 503s for an unreachable store, `/healthz`,
/// and a request that opened the worker's database session again.
@Suite struct ResponderOutageTests {
    /// A key store whose every call, like a PostgreSQL connection's, leaves the
    /// session closed while the database is unreachable and open once it answers.
    final class SessionStore: SigningKeyStore, Sendable {
        let database = InMemorySigningKeyStore()
        private let open = Mutex(true)

        var isOpen: Bool { open.withLock { $0 } }

        private func call<T>(_ body: () throws -> T) throws -> T {
            open.withLock { $0 = database.isReachable }
            return try body()
        }

        func allKeys() throws -> [SigningKeyRecord] { try call { try database.allKeys() } }
        func publishedKeys(at now: Date) throws -> [SigningKeyRecord] {
            try call { try database.publishedKeys(at: now) }
        }
        func insert(_ key: SigningKeyRecord) throws { try call { try database.insert(key) } }
        func activate(
            kid: String,
            at now: Date,
            previousKeyPublishUntil: Date,
            retag: (_ before: SigningKeyRecord, _ after: SigningKeyRecord) throws -> [UInt8]
        ) throws {
            try call {
                try database.activate(
                    kid: kid,
                    at: now,
                    previousKeyPublishUntil: previousKeyPublishUntil,
                    retag: retag
                )
            }
        }
        func updateIntegrityTag(kid: String, tag: (SigningKeyRecord) throws -> [UInt8]) throws {
            try call { try database.updateIntegrityTag(kid: kid, tag: tag) }
        }
        func removeExpiredKeys(at now: Date) throws -> Int { try call { try database.removeExpiredKeys(at: now) } }
    }

    final class SessionServices: WorkerServices {
        let store = SessionStore()
        let clients = InMemoryClientStore()
        let replays = InMemoryReplayStore()
        let revoked = InMemoryRevokedTokenStore()
        var signingKeyStore: any SigningKeyStore { store }
        var clientStore: any ClientStore { clients }
        var replayStore: any ReplayStore { replays }
        var revokedTokenStore: any RevokedTokenStore { revoked }
        func databaseIsReachable() -> Bool { store.database.isReachable }
        var databaseSessionIsOpen: Bool { store.isOpen }
    }

    let clock = FixedClock()
    let events = RecordedEvents()
    let services = SessionServices()
    let application: CredenceApplication
    let responder: CredenceResponder

    init() throws {
        let configuration = try CredenceConfiguration.parse(
            yaml: ResponderTests.configurationText,
            environment: [:],
            readFile: { _ in Array(repeating: 1, count: 32) }
        )
        application = try CredenceApplication(
            configuration: configuration,
            clock: clock,
            databaseLogger: events.logger("credence.database")
        )
        responder = application.makeResponder(services: services, logger: events.logger("credence.access"))
    }

    func get(_ path: String) -> HTTPResponse {
        responder.respond(to: HTTPRequest(method: "GET", path: path, headers: [:]))
    }

    /// The outage events (the access lines say "request").
    var outageEvents: [RecordedEvents.Event] {
        events.all.filter { $0.message.hasPrefix("database") }
    }

    @Test func unreachableStoreGivesOneErrorEventAndNoticeAccessLines() throws {
        services.store.database.isReachable = false
        for _ in 0..<20 {
            #expect(get("/oauth/jwks").status == 503)
            #expect(get("/oauth/healthz").status == 503)
        }
        let access = events.all.filter { $0.message == "request" }
        #expect(access.count == 40)
        #expect(access.allSatisfy { $0.level == .notice })
        #expect(!events.all.contains { $0.level >= .error && $0.message != "database unreachable" })
        #expect(outageEvents.map(\.level) == [.error])

        // Back: the next JWKS request opens the session again.
        services.store.database.isReachable = true
        clock.advance(by: 12)
        #expect(get("/oauth/jwks").status == 200)
        let recovery = try #require(outageEvents.last)
        #expect(recovery.level == .notice)
        #expect(recovery.metadata["outage.requests_503"] == "40")
        #expect(recovery.metadata["outage.duration_s"] == "12.0")
        #expect(!application.databaseOutages.isOngoing)
    }

    @Test func aBusyDatabaseIsNoOutage() throws {
        // The store refuses (a lock, a serialization failure) while the session stays open.
        let configuration = try CredenceConfiguration.parse(
            yaml: ResponderTests.configurationText,
            environment: [:],
            readFile: { _ in Array(repeating: 1, count: 32) }
        )
        let application = try CredenceApplication(
            configuration: configuration,
            clock: clock,
            databaseLogger: events.logger("credence.database")
        )
        let services = TestServices()
        let responder = application.makeResponder(services: services, logger: events.logger("credence.access"))
        services.store.isReachable = false
        #expect(responder.respond(to: HTTPRequest(method: "GET", path: "/oauth/jwks", headers: [:])).status == 503)
        #expect(!application.databaseOutages.isOngoing)
        #expect(outageEvents.isEmpty)
        #expect(events.all.map(\.level) == [.notice])
    }

    @Test func healthCheckEndsAnOutage() {
        services.store.database.isReachable = false
        #expect(get("/oauth/healthz").status == 503)
        #expect(application.databaseOutages.isOngoing)
        services.store.database.isReachable = true
        #expect(get("/oauth/healthz").status == 200)
        #expect(outageEvents.map(\.level) == [.error, .notice])
    }

    @Test func requestsThatDoNotReopenTheSessionDoNotEndAnOutage() {
        services.store.database.isReachable = false
        #expect(get("/oauth/jwks").status == 503)
        // Metadata needs no database: answered, but proves nothing.
        #expect(get("/oauth/.well-known/openid-configuration").status == 200)
        #expect(application.databaseOutages.isOngoing)
        #expect(outageEvents.map(\.level) == [.error])
    }

    @Test(arguments: [(200, Logger.Level.info), (404, .info), (413, .info), (500, .error), (503, .notice)])
    func accessLineLevel(status: Int, level: Logger.Level) {
        #expect(CredenceResponder.accessLevel(status: status) == level)
    }
}

@Suite struct RepeatedEventFilterTests {
    let clock = FixedClock()
    let events = RecordedEvents()

    func filtered() -> (Logger, RepeatedEventFilter) {
        let plain = events.logger("credence.fastcgi")
        let filter = RepeatedEventFilter(summaries: plain, interval: 60, clock: clock)
        var logger = Logger(label: "credence.fastcgi") { _ in
            RepeatedEventLogHandler(inner: plain.handler, filter: filter)
        }
        logger.logLevel = .trace
        return (logger, filter)
    }

    static let garbage: Logger.Message = "closed a FastCGI connection that carried no valid request"

    @Test func aStormIsTheFirstLineAndOneSummaryPerInterval() throws {
        let (logger, filter) = filtered()
        // 16 events a second (an exact step in binary floating point).
        for _ in 0..<900 {
            logger.notice(Self.garbage)
            clock.advance(by: 0.0625)
        }
        // 56 s: the first line only.
        #expect(events.all.count == 1)
        for _ in 0..<900 {
            logger.notice(Self.garbage)
            clock.advance(by: 0.0625)
        }
        // The window ended at 60 s (event 960): one summary of the 959 repeats
        // before it; the 840 since are counted in the next window.
        #expect(events.all.count == 2)
        let summary = try #require(events.all.last)
        #expect(summary.level == .notice)
        #expect(summary.message == "\(Self.garbage)")
        #expect(summary.metadata["log.suppressed"] == "959")
        #expect(summary.metadata["log.window_s"] == "60.0")
        clock.advance(by: 30)
        filter.flush()
        #expect(events.all.count == 3)
        #expect(events.all.last?.metadata["log.suppressed"] == "840")
        #expect(events.all.last?.metadata["log.window_s"] == "82.5")
        // Quiet since: nothing more to say, and the next event is written at once.
        clock.advance(by: 61)
        filter.flush()
        clock.advance(by: 61)
        filter.flush()
        #expect(events.all.count == 3)
        logger.notice(Self.garbage)
        #expect(events.all.count == 4)
        #expect(events.all.last?.metadata["log.suppressed"] == nil)
    }

    @Test func distinctMessagesAndWarningsPassThrough() {
        let (logger, _) = filtered()
        logger.notice("serving")
        logger.notice(Self.garbage)
        logger.info("FastCGI request refused")
        for _ in 0..<5 { logger.warning("every worker is occupied") }
        logger.notice(Self.garbage)
        #expect(events.all.map(\.message).filter { $0 == "every worker is occupied" }.count == 5)
        #expect(events.all.count == 8)
    }
}
