import CredenceCore
import CredenceJOSE
import Foundation
import Logging
import OpenSSLCrypto

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
    /// The active signer and the verification keys, shared by every worker.
    public let keyRing: TokenKeyRing
    /// Checks client secrets (HMAC under a key derived from the key-encryption key).
    public let clientSecrets: ClientSecretHasher
    /// CAs trusted for `tls_client_auth`, loaded once from `mtls.trusted_ca_file`.
    public let clientCATrustStore: CertificateTrustStore?
    /// Clients' inline key sets, parsed once and shared by every worker.
    public let clientKeySets = ClientKeySetCache()
    /// Presented client certificates, parsed once and shared by every worker.
    public let clientCertificates = ClientCertificateCache()
    /// Registered `tls_client_auth_subject_dn` values, parsed once and shared by every worker.
    public let registeredSubjectDNs = RegisteredSubjectDNCache()
    /// Fetches and caches `jwks_uri` key sets; `nil` refuses every `jwks_uri` client.
    public let remoteKeySets: (any RemoteKeySetProvider)?

    /// The trust registry's software statement verification; `nil` refuses every statement
    /// (`unapproved_software_statement`).
    public let softwareStatements: (any SoftwareStatementVerifying)?
    /// The trust registry's signed registration request verification; `nil` refuses them.
    public let signedRegistrationRequests: (any SignedRegistrationRequestVerifying)?
    /// The registration policy without a statement (and for clients without an issuer).
    public let registrationPolicy: RegistrationPolicy
    /// The current policy of a trusted statement issuer, for managing its clients.
    public let registrationPolicyForIssuer: @Sendable (String) -> RegistrationPolicy?
    /// Hashes registration access tokens (RFC 7592).
    public let registrationAccessTokens: ClientSecretHasher

    /// Database outages as two events each, shared by all workers.
    public let databaseOutages: DatabaseOutageLog

    /// Creates the application for a configuration: loads the client CA bundle and
    /// derives the keys it needs from the key-encryption key; `databaseLogger` gets
    /// the outage events.
    public init(
        configuration: CredenceConfiguration,
        clock: any Clock = SystemClock(),
        remoteKeySets: (any RemoteKeySetProvider)? = nil,
        softwareStatements: (any SoftwareStatementVerifying)? = nil,
        signedRegistrationRequests: (any SignedRegistrationRequestVerifying)? = nil,
        registrationPolicy: RegistrationPolicy = .default,
        registrationPolicyForIssuer: @escaping @Sendable (String) -> RegistrationPolicy? = { _ in nil },
        databaseLogger: Logger = Logger(label: "credence.database")
    ) throws {
        self.configuration = configuration
        self.clock = clock
        let keys = SigningKeyCache(
            refreshInterval: TimeInterval(configuration.keys.refreshIntervalSeconds),
            integrity: SigningKeyIntegrity(encryptionKey: configuration.keys.encryptionKey)
        )
        self.signingKeys = keys
        self.metadata = ServerMetadata(configuration: configuration)
        let encryptionKey = configuration.keys.encryptionKey
        self.clientSecrets = try ClientSecretHasher(encryptionKey: encryptionKey, purpose: "client-secret")
        self.registrationAccessTokens = try ClientSecretHasher(
            encryptionKey: encryptionKey,
            purpose: "registration-access-token"
        )
        self.softwareStatements = softwareStatements
        self.signedRegistrationRequests = signedRegistrationRequests
        self.registrationPolicy = registrationPolicy
        self.registrationPolicyForIssuer = registrationPolicyForIssuer
        let opener = SigningKeyOpener(encryptionKey: encryptionKey)
        self.keyRing = TokenKeyRing(keys: keys) { record in try opener.signer(for: record) }
        if let file = configuration.mtls.trustedCAFile {
            self.clientCATrustStore = try CertificateTrustStore(contentsOfFile: file)
        } else {
            self.clientCATrustStore = nil
        }
        self.remoteKeySets = remoteKeySets
        self.databaseOutages = DatabaseOutageLog(logger: databaseLogger, clock: clock)
    }

    /// The server's client-authentication rules from the configuration: assertions may
    /// name the issuer or any endpoint URL that takes client authentication, on the
    /// issuer's host or the mTLS alias host.
    public var clientAuthenticationPolicy: ClientAuthenticationPolicy {
        var audiences: [String] = []
        for base in [configuration.issuer] + (configuration.mtls.aliasBaseURL.map { [$0] } ?? []) {
            for path in [EndpointPath.token, EndpointPath.introspection, EndpointPath.revocation] {
                audiences.append(base.endpoint(path))
            }
        }
        return ClientAuthenticationPolicy(
            issuer: configuration.issuer.value,
            assertionAudiences: audiences,
            assertionAlgorithms: Set(
                configuration.tokens.assertionSigningAlgorithms.compactMap(JWSAlgorithm.init(rawValue:))
            ),
            maximumAssertionLifetimeSeconds: configuration.tokens.assertionMaxLifetimeSeconds,
            clockSkewSeconds: configuration.clockSkewSeconds
        )
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

        let authenticator = ClientAuthenticator(
            clients: services.clientStore,
            replays: services.replayStore,
            keyResolver: ClientKeyResolver(remote: remoteKeySets, inline: clientKeySets),
            trustStore: clientCATrustStore,
            secrets: clientSecrets,
            policy: clientAuthenticationPolicy,
            subjectDNs: registeredSubjectDNs
        )
        let validator = AccessTokenValidator(
            issuer: configuration.issuer.value,
            clockSkewSeconds: configuration.clockSkewSeconds
        )
        let token = TokenEndpoint(
            authenticator: authenticator,
            grant: ClientCredentialsGrant(forceCertificateBinding: configuration.tokens.forceCertificateBinding),
            issuer: AccessTokenIssuer(
                issuer: configuration.issuer.value,
                audience: configuration.tokens.audience,
                defaultLifetimeSeconds: configuration.tokens.accessTokenLifetimeSeconds
            ),
            keyRing: keyRing,
            signingKeyStore: services.signingKeyStore
        )
        router.add("POST", EndpointPath.token, handler: token.respond)
        let introspection = IntrospectionEndpoint(
            authenticator: authenticator,
            validator: validator,
            keyRing: keyRing,
            signingKeyStore: services.signingKeyStore,
            revokedTokens: services.revokedTokenStore,
            clients: services.clientStore,
            resourceServers: configuration.tokens.resourceServers
        )
        router.add("POST", EndpointPath.introspection, handler: introspection.respond)
        let revocation = RevocationEndpoint(
            authenticator: authenticator,
            validator: validator,
            keyRing: keyRing,
            signingKeyStore: services.signingKeyStore,
            revokedTokens: services.revokedTokenStore
        )
        router.add("POST", EndpointPath.revocation, handler: revocation.respond)
        if let registrations = services.registrationStore {
            addRegistrationRoutes(to: &router, registrations: registrations, services: services, validator: validator)
        }
        return CredenceResponder(
            router: router,
            clock: clock,
            logger: logger,
            outages: outages,
            databaseSessionIsOpen: { services.databaseSessionIsOpen },
            certificates: clientCertificates
        )
    }

    /// What this server can register: `tls_client_auth` only with a client CA trust store.
    public var registrationCapabilities: RegistrationCapabilities {
        RegistrationCapabilities(configuration: configuration, clientCertificatesVerifiable: clientCATrustStore != nil)
    }

    /// `POST /register` and `GET`/`PUT`/`DELETE /register/{client_id}` over this worker's stores.
    private func addRegistrationRoutes(
        to router: inout Router,
        registrations: any RegistrationStore,
        services: WorkerServices,
        validator: AccessTokenValidator
    ) {
        let keyRing = keyRing
        let signingKeyStore = services.signingKeyStore
        let issuer = configuration.issuer
        let service = RegistrationService(
            registrations: registrations,
            clients: services.clientStore,
            revokedTokens: services.revokedTokenStore,
            tokenValidator: validator,
            verificationKeys: { now in try keyRing.verificationKeys(using: signingKeyStore, now: now) },
            statements: softwareStatements,
            signedRequests: signedRegistrationRequests,
            defaultPolicy: registrationPolicy,
            policyForIssuer: registrationPolicyForIssuer,
            validator: RegistrationMetadataValidator(capabilities: registrationCapabilities),
            clientSecrets: clientSecrets,
            registrationTokens: registrationAccessTokens,
            registrationClientURI: { clientID in
                issuer.endpoint(EndpointPath.registration) + "/"
                    + (clientID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))
                        ?? clientID)
            }
        )
        let endpoint = RegistrationEndpoint(service: service, trustStore: clientCATrustStore)
        router.add("POST", EndpointPath.registration, handler: endpoint.register)
        router.add("GET", EndpointPath.registeredClient, handler: endpoint.read)
        router.add("PUT", EndpointPath.registeredClient, handler: endpoint.update)
        router.add("DELETE", EndpointPath.registeredClient, handler: endpoint.delete)
    }
}
