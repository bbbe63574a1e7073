import CredenceCore
import Foundation
import Logging

/// The shared, immutable heart of a running responder: configuration,
/// clock, the process-wide signing-key cache and the prebuilt metadata.
/// Every worker thread gets its own `CredenceResponder` from it.
public final class CredenceApplication: Sendable {
    /// The validated configuration.
    public let configuration: CredenceConfiguration
    /// The source of "now".
    public let clock: any Clock
    /// Signing keys shared by all workers, refreshed from the database.
    public let signingKeys: SigningKeyCache
    /// The RFC 8414 metadata document.
    public let metadata: ServerMetadata
    /// Database outages as two events each, shared by all workers.
    public let databaseOutages: DatabaseOutageLog

    /// Creates the application for a configuration; `databaseLogger` gets the
    /// outage events.
    public init(
        configuration: CredenceConfiguration,
        clock: any Clock = SystemClock(),
        databaseLogger: Logger = Logger(label: "credence.database")
    ) {
        self.configuration = configuration
        self.clock = clock
        self.signingKeys = SigningKeyCache(refreshInterval: TimeInterval(configuration.keys.refreshIntervalSeconds))
        self.metadata = ServerMetadata(configuration: configuration)
        self.databaseOutages = DatabaseOutageLog(logger: databaseLogger, clock: clock)
    }

    /// Builds the responder for one worker thread over that worker's services.
    public func makeResponder(services: WorkerServices, logger: Logger) -> CredenceResponder {
        var router = Router(basePath: configuration.basePath)
        let metadataResponse = HTTPResponse.json(metadata.document, noStore: false)
            .adding(header: "Cache-Control", value: "public, max-age=300")
        router.add("GET", EndpointPath.authorizationServerMetadata) { _ in metadataResponse }
        router.add("GET", EndpointPath.openIDConfiguration) { _ in metadataResponse }
        if !configuration.issuer.path.isEmpty {
            // RFC 8414 §3: for an issuer with a path, the well-known suffix goes before it.
            router.addAbsolute("GET", EndpointPath.authorizationServerMetadata + configuration.issuer.path) { _ in
                metadataResponse
            }
        }
        let jwks = JWKSEndpoint(cache: signingKeys, store: services.signingKeyStore)
        router.add("GET", EndpointPath.jwks, handler: jwks.respond)
        let outages = databaseOutages
        router.add("GET", EndpointPath.health) { _ in HealthEndpoint.respond(services: services, outages: outages) }
        return CredenceResponder(
            router: router,
            clock: clock,
            logger: logger,
            outages: outages,
            databaseSessionIsOpen: { services.databaseSessionIsOpen }
        )
    }
}
