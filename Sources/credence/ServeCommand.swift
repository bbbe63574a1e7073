import ArgumentParser
import CredenceCore
import CredencePostgres
import CredenceServer
import FastCGI
import Foundation
import Logging

/// `credence serve`: the FastCGI responder.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the FastCGI responder behind nginx or Apache.",
        discussion: """
            Listens on the configured unix socket (default), a TCP address, or the socket inherited as file descriptor 0 (spawn-fcgi, Apache mod_fcgid, systemd socket activation with StandardInput=socket). Each of the N worker threads serves one web-server connection at a time, and a kept-alive connection holds its worker between requests, so keep

              nginx worker_processes × upstream keepalive  <=  workers / 2

            (the shipped nginx sample: 2 × 8 = 16 for 32 workers), or requests beyond the pool hang. See docs/web-servers.md for Apache.

            SIGTERM or SIGINT stops accepting, lets in-flight requests finish (up to shutdown_grace_seconds) and exits 0.
            """
    )

    @OptionGroup var options: ConfigurationOption

    @Option(help: ArgumentHelp("Override `listen`: unix:/path, tcp:HOST:PORT or fd:0.", valueName: "address"))
    var listen: String?

    @Option(help: ArgumentHelp("Override `workers` (worker threads).", valueName: "n"))
    var workers: Int?

    func run() throws {
        var configuration = try options.load()
        if let listen {
            guard let address = ListenAddress(parsing: listen) else {
                printError("--listen must be unix:/absolute/path, tcp:HOST:PORT or fd:0")
                throw ExitCode(64)
            }
            configuration.listen = address
        }
        if let workers {
            guard (1...1024).contains(workers) else {
                printError("--workers must be between 1 and 1024")
                throw ExitCode(64)
            }
            configuration.workers = workers
        }
        let logger = LoggingSetup.bootstrap(level: configuration.logLevel)
        if let warning = configuration.databaseTransportWarning { logger.warning("\(warning)") }
        for notice in configuration.signerCertificateNotices(at: Date()) { logger.warning("\(notice.message)") }
        try Self.checkSchema(configuration, logger: logger)

        let settings = configuration
        let application: CredenceApplication
        do {
            let remoteKeySets = try RemoteJWKSCache.make(
                configuration: settings,
                logger: LoggingSetup.logger("credence.jwks_fetch", level: configuration.logLevel)
            )
            // The trust registry of registration.trusted_issuers: software statements and
            // signed registration requests are verified against it (none trusted: refused).
            let registry = try TrustRegistry(configuration: settings, remoteKeys: remoteKeySets)
            let trusted = !settings.registration.trustedIssuers.isEmpty
            application = try CredenceApplication(
                configuration: settings,
                remoteKeySets: remoteKeySets,
                softwareStatements: trusted ? registry : nil,
                signedRegistrationRequests: trusted
                    ? SignedRegistrationRequest(registry: registry, audience: settings.issuer.value) : nil,
                registrationPolicy: settings.registration.policy,
                registrationPolicyForIssuer: { registry.trustedIssuer($0)?.policy },
                databaseLogger: LoggingSetup.logger("credence.database", level: configuration.logLevel)
            )
        } catch {
            printError("cannot start: \(error)")
            throw ExitCode(78)
        }
        let accessLogger = LoggingSetup.logger("credence.access", level: configuration.logLevel)
        let fastCGIConfiguration = FastCGIServerConfiguration(
            listen: configuration.listen.fastCGIAddress(mode: configuration.socketMode),
            workerCount: configuration.workers,
            maxParametersBytes: configuration.maxHeaderBytes,
            maxBodyBytes: configuration.maxBodyBytes,
            shutdownGracePeriod: .seconds(configuration.shutdownGraceSeconds),
            requestTimeout: .seconds(configuration.fastCGIPeers.requestTimeoutSeconds),
            allowedPeers: configuration.fastCGIPeers.allowedPeers
        )
        // Per-connection FastCGI events (garbage from the web server, refused requests) as the
        // first line and one summary line a minute, not one line each.
        let fastCGILogger = LoggingSetup.logger("credence.fastcgi", level: configuration.logLevel)
        let repeats = RepeatedEventFilter(summaries: fastCGILogger)
        var filteredLogger = Logger(label: fastCGILogger.label) { _ in
            RepeatedEventLogHandler(inner: fastCGILogger.handler, filter: repeats)
        }
        filteredLogger.logLevel = configuration.logLevel
        let summaryTimer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        summaryTimer.schedule(deadline: .now() + 60, repeating: 60)
        summaryTimer.setEventHandler { repeats.flush() }
        summaryTimer.resume()
        defer {
            summaryTimer.cancel()
            repeats.flush()
        }
        let server: FastCGIServer
        do {
            server = try FastCGIServer(
                configuration: fastCGIConfiguration,
                logger: filteredLogger
            ) { _ in
                let services = PostgresWorkerServices(configuration: settings)
                return FastCGIBridge(responder: application.makeResponder(services: services, logger: accessLogger))
            }
        } catch {
            printError("cannot listen on \(configuration.listen): \(error.description)")
            throw ExitCode(71)
        }
        let signals = server.shutdownOnTerminationSignals()
        logger.notice(
            "serving",
            metadata: [
                "issuer": .string(configuration.issuer.value), "listen": .string(configuration.listen.description),
                "workers": .stringConvertible(configuration.workers),
            ]
        )
        do {
            try server.run()
        } catch {
            logger.error("server stopped with an error", metadata: ["error": .string(error.description)])
            throw ExitCode(1)
        }
        signals.cancel()
        logger.notice("stopped")
    }

    /// Refuses to serve a database whose schema is older than this binary;
    /// an unreachable database is only a warning (endpoints answer 503 until it is back).
    static func checkSchema(_ configuration: CredenceConfiguration, logger: Logger) throws {
        let connection = configuration.postgresConfiguration
        let probe = PostgresHealthCheck(connection: .init(configuration: connection))
        guard probe.isReachable else {
            logger.warning("database unreachable at start; endpoints that need it answer 503 until it is back")
            return
        }
        do {
            let status = try MigrationRunner(connection: probe.connection, migrations: .embedded()).status()
            if !status.pending.isEmpty {
                printError(
                    "the database schema is older than this binary (\(plural(status.pending.count, "pending migration"))); run `credence migrate` first"
                )
                throw ExitCode(78)
            }
        } catch let error as MigrationError {
            logger.warning("could not read the migration status", metadata: ["error": .string(error.description)])
        }
    }
}

extension ListenAddress {
    func fastCGIAddress(mode: UInt16) -> FastCGIListenAddress {
        switch self {
        case .unixSocket(let path): .unixSocket(path: path, permissions: mode)
        case .tcp(let host, let port): .tcp(host: host, port: port)
        case .inheritedStandardInput: .inheritedStandardInput
        }
    }
}
