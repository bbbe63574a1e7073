public import CredenceJOSE
public import CredenceJSON
public import Foundation

/// Dynamic client registration (RFC 7591, Open Banking UK DCR) and client management (RFC
/// 7592): reads the statement through the trust registry's seams, checks the initial access
/// token per policy, validates the metadata, and writes each registration, update or deletion
/// as one transaction with its audit row. Refusals are audited too (best effort: a refusal is
/// answered even when the audit row cannot be written). Owned by one worker, like its stores.
public struct RegistrationService {
    /// The transactional registration store.
    public let registrations: any RegistrationStore
    /// Clients (for the initial access token's client).
    public let clients: any ClientStore
    /// The revoked-token deny list (checked, and written when a token is misused).
    public let revokedTokens: any RevokedTokenStore
    /// Checks access tokens (initial access tokens, Open Banking management tokens).
    public let tokenValidator: AccessTokenValidator
    /// The keys this server's access tokens verify with, at an instant.
    public let verificationKeys: (Date) throws -> JWKSet
    /// The trust registry's statement verification; `nil`: every statement is unapproved.
    public let statements: (any SoftwareStatementVerifying)?
    /// The trust registry's signed-request verification; `nil`: signed requests are unapproved.
    public let signedRequests: (any SignedRegistrationRequestVerifying)?
    /// The policy for registrations without a statement and clients without an issuer.
    public let defaultPolicy: RegistrationPolicy
    /// The current policy of a trusted issuer (management follows the issuer's policy now).
    public let policyForIssuer: (String) -> RegistrationPolicy?
    /// The metadata rules.
    public let validator: RegistrationMetadataValidator
    /// Hashes client secrets (purpose `client-secret`).
    public let clientSecrets: ClientSecretHasher
    /// Hashes registration access tokens (purpose `registration-access-token`).
    public let registrationTokens: ClientSecretHasher
    /// `registration_client_uri` of a client id (built from the issuer, RFC 7592 §3).
    public let registrationClientURI: (String) -> String

    /// Creates the service.
    public init(
        registrations: any RegistrationStore,
        clients: any ClientStore,
        revokedTokens: any RevokedTokenStore,
        tokenValidator: AccessTokenValidator,
        verificationKeys: @escaping (Date) throws -> JWKSet,
        statements: (any SoftwareStatementVerifying)?,
        signedRequests: (any SignedRegistrationRequestVerifying)?,
        defaultPolicy: RegistrationPolicy,
        policyForIssuer: @escaping (String) -> RegistrationPolicy?,
        validator: RegistrationMetadataValidator,
        clientSecrets: ClientSecretHasher,
        registrationTokens: ClientSecretHasher,
        registrationClientURI: @escaping (String) -> String
    ) {
        self.registrations = registrations
        self.clients = clients
        self.revokedTokens = revokedTokens
        self.tokenValidator = tokenValidator
        self.verificationKeys = verificationKeys
        self.statements = statements
        self.signedRequests = signedRequests
        self.defaultPolicy = defaultPolicy
        self.policyForIssuer = policyForIssuer
        self.validator = validator
        self.clientSecrets = clientSecrets
        self.registrationTokens = registrationTokens
        self.registrationClientURI = registrationClientURI
    }

    /// What a registration or management call answers: the registration's JSON (RFC 7591
    /// §3.2.1, RFC 7592 §3), or nothing for a deletion.
    public struct Answer: Sendable {
        /// The client the answer concerns.
        public let clientID: String
        /// The body.
        public let json: JSONObject
    }

    /// What the audit trail knows about a request so far.
    private struct AuditSubject {
        var actorClientID: String?
        var certificate: RegistrationCertificate
        var statement: VerifiedSoftwareStatement?
        var clientID: String?

        /// This subject with the statement a refusal learnt of, if it knew none.
        func adding(_ refusal: RegistrationRefusal) -> AuditSubject {
            var subject = self
            if subject.statement == nil { subject.statement = refusal.statement }
            return subject
        }

        func details(decision: String, rule: String?, error: OAuthError?, via: String? = nil) -> JSONObject {
            var object: JSONObject = ["decision": .string(decision)]
            if let rule { object["rule"] = .string(rule) }
            if let error { object["error"] = .string(error.code) }
            if let actorClientID { object["actor_client_id"] = .string(actorClientID) }
            if let via { object["authorised_by"] = .string(via) }
            if let thumbprint = certificate.sha256Thumbprint {
                object["certificate_sha256"] = .string(Base64URL.encode(thumbprint))
            }
            if let statement {
                object["software_id"] = .string(statement.softwareID)
                if let organizationID = statement.organizationID { object["org_id"] = .string(organizationID) }
                if let jti = statement.jti { object["statement_jti"] = .string(jti) }
                object["statement_issuer"] = .string(statement.issuer)
            }
            return object
        }
    }

    // MARK: - Registration (RFC 7591 §3)

    /// `POST /register`: 201 with the registration, or the refusal as an `OAuthError`.
    public func register(_ request: RegistrationRequest, now: Date) throws -> Answer {
        var subject = AuditSubject(certificate: request.certificate)
        do {
            return try registerAudited(request, now: now, subject: &subject)
        } catch let refusal as RegistrationRefusal {
            throw refused("registration.refused", refusal, subject: subject, now: now)
        }
    }

    private func registerAudited(
        _ request: RegistrationRequest,
        now: Date,
        subject: inout AuditSubject
    ) throws -> Answer {
        guard let body = request.body else {
            throw RegistrationRefusal(rule: "body", error: .invalidRequest("a registration request needs a body"))
        }
        let parsed = try read(body, now: now)
        subject.statement = parsed.statement
        let policy = parsed.statement?.policy ?? defaultPolicy
        subject.actorClientID = try checkInitialAccessToken(request.bearerToken, policy: policy, now: now)
        if parsed.statement == nil && !policy.allowWithoutStatement {
            throw RegistrationRefusal.statement(
                "software_statement",
                "a software_statement is required (RFC 7591 §2.3)"
            )
        }
        var usedJTIs: [RecordedJTI] = []
        var uniqueness: RegistrationPolicy.Uniqueness?
        if let statement = parsed.statement {
            uniqueness = policy.uniqueness
            if policy.uniqueness == .perStatement && statement.jti == nil {
                throw RegistrationRefusal.statement(
                    "uniqueness",
                    "this issuer's statements need a jti (one client per statement)"
                )
            }
            if let jti = statement.jti, let expiresAt = statement.expiresAt {
                usedJTIs.append(RecordedJTI(issuer: statement.issuer, jti: jti, expiresAt: expiresAt))
            }
        }
        if let requestJTI = parsed.requestJTI { usedJTIs.append(requestJTI) }

        var metadata = parsed.metadata
        let validated = try validator.validate(
            request: metadata,
            statement: parsed.statement,
            policy: policy,
            certificate: request.certificate,
            now: now
        )
        metadata = validated.metadata.json
        if let statement = parsed.statement { metadata["software_statement"] = .string(statement.statement) }
        let clientMetadata = try ClientMetadata(json: metadata)

        let clientID = try ClientIDGenerator.generate()
        subject.clientID = clientID
        let secret = clientMetadata.authenticationMethod.usesSecret ? try ClientSecretHasher.generateSecret() : nil
        let accessToken = try ClientSecretHasher.generateSecret()
        let client = Client(
            clientID: clientID,
            metadata: clientMetadata,
            secretHash: secret.map(clientSecrets.hash),
            registrationAccessTokenHash: registrationTokens.hash(accessToken),
            createdAt: now
        )
        let event = AuditEvent(
            occurredAt: now,
            type: "client.registered",
            clientID: clientID,
            details: subject.details(decision: "registered", rule: nil, error: nil)
        )
        let outcome = try registrations.register(
            NewRegistration(
                client: client,
                statementIssuer: parsed.statement?.issuer,
                statementJTI: parsed.statement?.jti,
                uniqueness: uniqueness,
                signedRequest: parsed.signed,
                usedJTIs: usedJTIs,
                audit: event
            )
        )
        subject.clientID = nil
        try check(outcome, statement: parsed.statement, policy: policy)
        return Answer(
            clientID: clientID,
            json: registrationJSON(client, secret: secret, accessToken: accessToken, adjustments: validated.adjustments)
        )
    }

    /// Maps a store outcome other than `stored` to its refusal.
    private func check(
        _ outcome: RegistrationOutcome,
        statement: VerifiedSoftwareStatement?,
        policy: RegistrationPolicy
    ) throws(RegistrationRefusal) {
        switch outcome {
        case .stored:
            return
        case .replayed(let entry):
            if let statement, Identifier.equal(entry.issuer, statement.issuer),
                Identifier.equal(entry.jti, statement.jti)
            {
                throw .statement("statement_jti", "this software statement (its jti) has already been used")
            }
            throw .metadata("request_jti", "this signed registration request (its jti) has already been used")
        case .alreadyRegistered:
            throw .unapproved(
                "uniqueness",
                policy.uniqueness == .perStatement
                    ? "a client is already registered with this software statement"
                    : "this software_id already has a registration here: manage it at its registration_client_uri, or delete it first"
            )
        case .clientGone:
            throw .token("management_token")
        }
    }

    /// The body's metadata, statement and signed-request facts.
    private struct ParsedBody {
        var metadata: JSONObject
        var statement: VerifiedSoftwareStatement?
        var requestJTI: RecordedJTI?
        var signed: Bool
    }

    private func read(_ body: RegistrationRequest.Body, now: Date) throws -> ParsedBody {
        switch body {
        case .json(let object):
            guard let value = object["software_statement"] else {
                return ParsedBody(metadata: object, statement: nil, requestJTI: nil, signed: false)
            }
            guard let text = value.stringValue, !text.isEmpty else {
                throw RegistrationRefusal.statement(
                    "software_statement",
                    "software_statement must be a compact JWS string"
                )
            }
            guard let statements else {
                throw RegistrationRefusal.unapproved(
                    "software_statement",
                    "no software statement issuer is trusted here"
                )
            }
            let statement = try verifying("software_statement") { try statements.verify(text, now: now) }
            var metadata = object
            metadata["software_statement"] = nil
            return ParsedBody(metadata: metadata, statement: statement, requestJTI: nil, signed: false)
        case .signed(let text):
            guard let signedRequests else {
                throw RegistrationRefusal.unapproved(
                    "signed_request",
                    "signed registration requests are not accepted here: no software statement issuer is trusted"
                )
            }
            var statementSeen: VerifiedSoftwareStatement?
            let verified: VerifiedRegistrationRequest
            do {
                verified = try verifying("signed_request") {
                    try signedRequests.verify(text, now: now) { statementSeen = $0 }
                }
            } catch var refusal as RegistrationRefusal {
                refusal.statement = refusal.statement ?? statementSeen
                throw refusal
            }
            return ParsedBody(
                metadata: Self.requestMetadata(verified),
                statement: verified.statement,
                requestJTI: RecordedJTI(
                    issuer: verified.statement.softwareID,
                    jti: verified.jti,
                    expiresAt: verified.expiresAt
                ),
                signed: true
            )
        }
    }

    /// The client metadata a verified signed request asks for: its claims without the JWT
    /// envelope, the statement-only claims and the `software_statement` (which the
    /// ``RegistrationMetadataValidator`` lays over it). `credence ssa check` validates the same.
    public static func requestMetadata(_ verified: VerifiedRegistrationRequest) -> JSONObject {
        var metadata = verified.metadata
        for claim in RegistrationMetadataValidator.statementOnlyClaims { metadata[claim] = nil }
        metadata["software_statement"] = nil
        return metadata
    }

    /// Runs a trust-registry call: its OAuth errors become refusals by the ``TrustRule`` they
    /// name (in their log detail, `rule=signer_certificate`, or their description,
    /// `software_keys: …`), else by `rule`, so that the audit trail records the rule that
    /// decided; store errors pass, anything else is an invalid statement.
    private func verifying<Value>(_ rule: String, _ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as OAuthError {
            let named =
                TrustRule.named(by: error)
                ?? TrustRule.allCases.first { error.errorDescription?.hasPrefix($0.rawValue + ": ") == true }
            throw RegistrationRefusal(rule: named?.rawValue ?? rule, error: error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw RegistrationRefusal(
                rule: rule,
                error: .invalidSoftwareStatement("the software statement could not be verified", logDetail: "\(error)")
            )
        }
    }

    /// RFC 7591 §3: the initial access token, per policy; returns its client id.
    private func checkInitialAccessToken(_ token: String?, policy: RegistrationPolicy, now: Date) throws -> String? {
        let rule = "initial_access_token"
        switch policy.initialAccessToken {
        case .none:
            return nil
        case .optional:
            guard let token else { return nil }
            return try validateInitialAccessToken(token, scope: policy.initialAccessTokenScope, now: now)
        case .required:
            guard let token else { throw RegistrationRefusal.token(rule, missing: true) }
            return try validateInitialAccessToken(token, scope: policy.initialAccessTokenScope, now: now)
        }
    }

    private func validateInitialAccessToken(_ token: String, scope: String, now: Date) throws -> String {
        let rule = "initial_access_token"
        guard let validated = tokenValidator.validate(token, keys: try verificationKeys(now), now: now) else {
            throw RegistrationRefusal.token(rule, logDetail: "not a valid access token of this server")
        }
        guard try !revokedTokens.isRevoked(jti: validated.jti) else {
            throw RegistrationRefusal.token(rule, logDetail: "revoked")
        }
        guard Scope.contains(validated.scopes, scope) else {
            throw RegistrationRefusal.token(rule, logDetail: "the token lacks the scope \(scope)")
        }
        guard try clients.client(id: validated.clientID) != nil else {
            throw RegistrationRefusal.token(rule, logDetail: "the token's client no longer exists")
        }
        return validated.clientID
    }

    // MARK: - Management (RFC 7592 §2)

    /// How a management request was authorised.
    private enum Authorisation: String {
        case registrationAccessToken = "registration_access_token"
        case accessToken = "access_token"
    }

    /// `GET /register/{client_id}` (RFC 7592 §2.1).
    public func read(clientID: String, _ request: RegistrationRequest, now: Date) throws -> Answer {
        var subject = AuditSubject(certificate: request.certificate, clientID: clientID)
        do {
            let (stored, policy, via) = try authorise(clientID: clientID, request, now: now, subject: &subject)
            var client = stored.client
            var newToken: String?
            if via == .registrationAccessToken && policy.rotateRegistrationAccessToken {
                let token = try ClientSecretHasher.generateSecret()
                client.registrationAccessTokenHash = registrationTokens.hash(token)
                client.updatedAt = now
                try check(registrations.replace(client, requestJTI: nil, audit: nil), statement: nil, policy: policy)
                newToken = token
            }
            return Answer(
                clientID: clientID,
                json: registrationJSON(client, secret: nil, accessToken: newToken, adjustments: [])
            )
        } catch let refusal as RegistrationRefusal {
            throw refused("management.refused", refusal, subject: subject, now: now)
        }
    }

    /// `PUT /register/{client_id}` (RFC 7592 §2.2): full replacement with the same validation as
    /// a registration; `client_id` must match; server-managed members are refused; a client
    /// registered with a statement sends it again (signed where it registered signed), for the
    /// same issuer and `software_id`.
    public func update(clientID: String, _ request: RegistrationRequest, now: Date) throws -> Answer {
        var subject = AuditSubject(certificate: request.certificate, clientID: clientID)
        do {
            let (stored, _, via) = try authorise(clientID: clientID, request, now: now, subject: &subject)
            guard let body = request.body else {
                throw RegistrationRefusal(rule: "body", error: .invalidRequest("an update needs a body"))
            }
            var parsed = try read(body, now: now)
            subject.statement = parsed.statement
            guard let sentID = parsed.metadata["client_id"]?.stringValue, Identifier.equal(sentID, clientID) else {
                throw RegistrationRefusal.metadata(
                    "client_id",
                    "client_id must be present and equal the client's id (RFC 7592 §2.2)"
                )
            }
            parsed.metadata["client_id"] = nil
            if stored.signedRequest && !parsed.signed {
                throw RegistrationRefusal.metadata(
                    "signed_request",
                    "this client registered with a signed request: send its update signed too"
                )
            }
            if let issuer = stored.statementIssuer {
                guard let statement = parsed.statement else {
                    throw RegistrationRefusal.statement(
                        "software_statement",
                        "this client registered with a software statement: send it with the update"
                    )
                }
                guard Identifier.equal(statement.issuer, issuer),
                    Identifier.equal(statement.softwareID, stored.client.softwareID)
                else {
                    throw RegistrationRefusal.statement(
                        "software_id",
                        "the software statement is for another software_id or issuer than this client's"
                    )
                }
            }
            let policy = parsed.statement?.policy ?? defaultPolicy
            let validated = try validator.validate(
                request: parsed.metadata,
                statement: parsed.statement,
                policy: policy,
                certificate: request.certificate,
                now: now
            )
            var metadata = validated.metadata.json
            if let statement = parsed.statement { metadata["software_statement"] = .string(statement.statement) }
            let clientMetadata = try ClientMetadata(json: metadata)
            var secret: String?
            var secretHash: String?
            if clientMetadata.authenticationMethod.usesSecret {
                if let existing = stored.client.secretHash {
                    secretHash = existing
                } else {
                    let fresh = try ClientSecretHasher.generateSecret()
                    secret = fresh
                    secretHash = clientSecrets.hash(fresh)
                }
            }
            var accessTokenHash = stored.client.registrationAccessTokenHash
            var newToken: String?
            if via == .registrationAccessToken && policy.rotateRegistrationAccessToken {
                let token = try ClientSecretHasher.generateSecret()
                newToken = token
                accessTokenHash = registrationTokens.hash(token)
            }
            let client = Client(
                clientID: clientID,
                metadata: clientMetadata,
                secretHash: secretHash,
                registrationAccessTokenHash: accessTokenHash,
                accessTokenLifetimeSeconds: stored.client.accessTokenLifetimeSeconds,
                createdAt: stored.client.createdAt,
                updatedAt: now
            )
            let event = AuditEvent(
                occurredAt: now,
                type: "client.updated",
                clientID: clientID,
                details: subject.details(decision: "updated", rule: nil, error: nil, via: via.rawValue)
            )
            try check(
                registrations.replace(client, requestJTI: parsed.requestJTI, audit: event),
                statement: parsed.statement,
                policy: policy
            )
            return Answer(
                clientID: clientID,
                json: registrationJSON(
                    client,
                    secret: secret,
                    accessToken: newToken,
                    adjustments: validated.adjustments
                )
            )
        } catch let refusal as RegistrationRefusal {
            throw refused("management.refused", refusal, subject: subject, now: now)
        }
    }

    /// `DELETE /register/{client_id}` (RFC 7592 §2.3): the client can no longer authenticate,
    /// and its tokens introspect inactive (their client is gone).
    public func delete(clientID: String, _ request: RegistrationRequest, now: Date) throws {
        var subject = AuditSubject(certificate: request.certificate, clientID: clientID)
        do {
            let (stored, _, via) = try authorise(clientID: clientID, request, now: now, subject: &subject)
            let event = AuditEvent(
                occurredAt: now,
                type: "client.deleted",
                clientID: clientID,
                details: subject.details(decision: "deleted", rule: nil, error: nil, via: via.rawValue)
                    .merging(softwareID: stored.client.softwareID)
            )
            guard try registrations.delete(clientID: clientID, audit: event) else {
                throw RegistrationRefusal.token("management_token", logDetail: "the client was deleted meanwhile")
            }
        } catch let refusal as RegistrationRefusal {
            throw refused("management.refused", refusal, subject: subject, now: now)
        }
    }

    /// RFC 7592 §2 and Open Banking UK: the registration access token (hashed compare) or an
    /// access token the same client obtained, per the policy of the client's issuer. Anything
    /// else, an unknown client and a client an operator created are 401, never 404 (nothing
    /// tells whether a client id exists); an access token of another client is revoked at once.
    private func authorise(
        clientID: String,
        _ request: RegistrationRequest,
        now: Date,
        subject: inout AuditSubject
    ) throws -> (StoredRegistration, RegistrationPolicy, Authorisation) {
        let rule = "management_token"
        guard let token = request.bearerToken else { throw RegistrationRefusal.token(rule, missing: true) }
        if let validated = tokenValidator.validate(token, keys: try verificationKeys(now), now: now) {
            subject.actorClientID = validated.clientID
            guard Identifier.equal(validated.clientID, clientID) else {
                try revokedTokens.revoke(
                    jti: validated.jti,
                    clientID: validated.clientID,
                    expiresAt: Date(timeIntervalSince1970: TimeInterval(validated.expiresAt)),
                    now: now
                )
                throw RegistrationRefusal.token(
                    "foreign_access_token",
                    logDetail: "an access token of another client was presented; it is revoked"
                )
            }
            guard try !revokedTokens.isRevoked(jti: validated.jti) else {
                throw RegistrationRefusal.token(rule, logDetail: "revoked access token")
            }
            guard let stored = try registrations.registration(clientID: clientID),
                stored.client.registrationAccessTokenHash != nil
            else { throw RegistrationRefusal.token(rule, logDetail: "no dynamically registered client with that id") }
            let policy = policy(for: stored)
            guard policy.managementByAccessToken else {
                throw RegistrationRefusal.token(rule, logDetail: "the policy does not allow management by access token")
            }
            return (stored, policy, .accessToken)
        }
        guard let stored = try registrations.registration(clientID: clientID),
            let hash = stored.client.registrationAccessTokenHash
        else {
            throw RegistrationRefusal.token(rule, logDetail: "no dynamically registered client with that id")
        }
        guard registrationTokens.verify(token, against: hash) else {
            throw RegistrationRefusal.token(rule, logDetail: "wrong registration access token")
        }
        let policy = policy(for: stored)
        guard policy.managementByRegistrationAccessToken else {
            throw RegistrationRefusal.token(rule, logDetail: "the policy does not allow registration access tokens")
        }
        subject.actorClientID = clientID
        return (stored, policy, .registrationAccessToken)
    }

    private func policy(for stored: StoredRegistration) -> RegistrationPolicy {
        stored.statementIssuer.flatMap(policyForIssuer) ?? defaultPolicy
    }

    // MARK: - Responses and audit

    /// RFC 7591 §3.2.1 / RFC 7592 §3: every registered member (the statement's claims
    /// flattened, the statement echoed), plus the server-issued members.
    private func registrationJSON(
        _ client: Client,
        secret: String?,
        accessToken: String?,
        adjustments: [String]
    ) -> JSONObject {
        var object = client.metadata.json
        object["client_id"] = .string(client.clientID)
        object["client_id_issued_at"] = JSONValue(Int64(client.createdAt.timeIntervalSince1970.rounded(.down)))
        if client.authenticationMethod.usesSecret {
            if let secret { object["client_secret"] = .string(secret) }
            // RFC 7591 §3.2.1: 0 means the secret does not expire.
            object["client_secret_expires_at"] = JSONValue(0)
        }
        if let accessToken { object["registration_access_token"] = .string(accessToken) }
        object["registration_client_uri"] = .string(registrationClientURI(client.clientID))
        if !adjustments.isEmpty { object["metadata_adjustments"] = JSONValue(adjustments) }
        return object
    }

    /// Audits a refusal (with the statement it learnt of, if the subject knew none) and returns
    /// the error the client is answered.
    private func refused(_ type: String, _ refusal: RegistrationRefusal, subject: AuditSubject, now: Date) -> OAuthError
    {
        audit(type, subject: subject.adding(refusal), rule: refusal.rule, error: refusal.error, now: now)
        return refusal.error
    }

    private func audit(_ type: String, subject: AuditSubject, rule: String, error: OAuthError, now: Date) {
        // A 5xx is the server's trouble, not a decision; the store may be the cause.
        guard error.status < 500 else { return }
        let event = AuditEvent(
            occurredAt: now,
            type: type,
            clientID: subject.clientID,
            details: subject.details(decision: "refused", rule: rule, error: error)
        )
        try? registrations.record(event)
    }
}

extension JSONObject {
    fileprivate func merging(softwareID: String?) -> JSONObject {
        var copy = self
        if copy["software_id"] == nil, let softwareID { copy["software_id"] = .string(softwareID) }
        return copy
    }
}
