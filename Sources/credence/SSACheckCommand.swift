import ArgumentParser
import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceServer
import Foundation
import OpenSSLCrypto

/// `credence ssa check FILE`: a dry run of the registration endpoint's trust decision. It builds
/// the trust registry exactly as `serve` does and runs the endpoint's own verification
/// (``TrustRegistry/verify(_:now:)``, ``SignedRegistrationRequest/verify(_:now:)``, then the
/// ``RegistrationMetadataValidator``), and explains the outcome rule by rule, so an operator can
/// tell why a TPP's statement is refused without reading the server's log.
struct SSACheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Explain whether a software statement or signed registration request would be accepted now.",
        discussion: """
            A dry run: reads the configuration, builds the trust registry of registration.trusted_issuers as `serve` does (the same jwks_file, ca_file and remote key sets, fetched with jwks_fetch's limits), and verifies FILE with the registration endpoint's own code. FILE is a compact software statement, or an Open Banking UK signed registration request (a JWT whose claims carry software_statement: detected, or forced with --request); `-` reads standard input.

            Prints the issuer, software_id and org_id, the registration policy that applies, and each rule in the order the endpoint checks it (ok, REFUSED, or not reached), named as in the endpoint's error_description and the audit trail. A signed request, or a statement given with --metadata, is then checked by the metadata rules too (redirect URIs, auth method, scopes, certificate binding...); give --certificate for the rules that need the TPP's TLS client certificate.

            Not checked, as they need the database or the HTTP request: whether the statement's or the request's jti was already used, the one-client-per-software uniqueness, and the initial access token.

            Exit status: 0 would be accepted; 1 would be refused; 64 unusable command line or file; 78 unusable configuration.
            """
    )

    @OptionGroup var options: ConfigurationOption

    @Argument(
        help: ArgumentHelp(
            "The software statement or signed request, compact JWS (`-`: standard input).",
            valueName: "file"
        )
    )
    var file: String

    @Flag(help: "FILE is a signed registration request (default: detected from its claims).")
    var request = false

    @Option(
        help: ArgumentHelp(
            "JSON registration metadata sent with a plain statement (the application/json body), for the metadata rules.",
            valueName: "file"
        )
    )
    var metadata: String?

    @Option(
        help: ArgumentHelp(
            "PEM TLS client certificate the TPP registers over (verified against mtls.trusted_ca_file, as the endpoint does).",
            valueName: "file"
        )
    )
    var certificate: String?

    func validate() throws {
        if request && metadata != nil {
            throw ValidationError("--metadata is for a plain statement: a signed request carries its metadata")
        }
    }

    func run() throws {
        let configuration = try options.load()
        let text = try SSAFiles.text(file, option: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let requestMetadata = try metadata.map { path -> JSONObject in
            do {
                return try JSONObject.parse(try SSAFiles.text(path, option: "--metadata"))
            } catch let error as JSONError {
                throw usageFailure("--metadata \(path): not a JSON object: \(error)")
            }
        }
        let now = Date()
        let trustStore: CertificateTrustStore?
        do {
            trustStore = try configuration.mtls.trustedCAFile.map { try CertificateTrustStore(contentsOfFile: $0) }
        } catch {
            printError("mtls.trusted_ca_file: \(error)")
            throw CommandExit.configuration
        }
        let presented = try certificate.map { path -> RegistrationCertificate in
            let certificate: Certificate
            do {
                certificate = try Certificate(pemEncoded: try SSAFiles.text(path, option: "--certificate"))
            } catch let error as CertificateError {
                throw usageFailure("--certificate \(path): not one PEM certificate: \(error)")
            }
            let client = PresentedClientCertificate(certificate: certificate)
            guard let trustStore else {
                print("certificate:  \(certificate.subject.rfc4514String) (unverified: no mtls.trusted_ca_file)")
                return .unverified(client)
            }
            switch client.verified(by: trustStore, at: now) {
            case .success(let verified):
                print("certificate:  \(certificate.subject.rfc4514String) (chains to mtls.trusted_ca_file)")
                return .verified(verified)
            case .failure(let error):
                print(
                    "certificate:  \(certificate.subject.rfc4514String) (does NOT chain to mtls.trusted_ca_file: \(error))"
                )
                return .unverified(client)
            }
        }

        let registry: TrustRegistry
        do {
            let remoteKeys = try RemoteJWKSCache.make(
                configuration: configuration,
                logger: LoggingSetup.logger("credence.jwks_fetch", level: configuration.logLevel)
            )
            registry = try TrustRegistry(configuration: configuration, remoteKeys: remoteKeys)
        } catch {
            printError("\(options.path): cannot build the trust registry: \(error)")
            throw CommandExit.configuration
        }
        let check = SSACheck(
            registry: registry,
            trusted: !configuration.registration.trustedIssuers.isEmpty,
            audience: configuration.issuer.value,
            defaultPolicy: configuration.registration.policy,
            validator: RegistrationMetadataValidator(
                capabilities: RegistrationCapabilities(
                    configuration: configuration,
                    clientCertificatesVerifiable: trustStore != nil
                )
            ),
            certificate: presented ?? .none
        )
        let accepted = check.run(text, forceRequest: request, requestMetadata: requestMetadata, now: now)
        if !accepted { throw CommandExit.failed }
    }
}

/// One `ssa check` run: the endpoint's verification, and the report of it.
struct SSACheck {
    let registry: TrustRegistry
    /// Whether any issuer is trusted (`serve` wires no verifier otherwise).
    let trusted: Bool
    let audience: String
    let defaultPolicy: RegistrationPolicy
    let validator: RegistrationMetadataValidator
    let certificate: RegistrationCertificate

    /// One rule in the order the endpoint checks it.
    struct Step {
        let rule: String
        let what: String
    }

    /// What the input looks like before anything is verified.
    struct Unverified {
        var header: JWSHeader?
        var claims: JSONObject?

        init(_ text: String) {
            let jws = try? UnverifiedJWS(
                compact: text,
                options: JWSParseOptions(maxLength: TrustRegistry.maximumLength)
            )
            header = jws?.header
            claims = (try? jws?.unverifiedClaims())?.object
        }
    }

    /// Runs the check and prints the report; returns whether it would be accepted.
    func run(_ text: String, forceRequest: Bool, requestMetadata: JSONObject?, now: Date) -> Bool {
        let outer = Unverified(text)
        let isRequest = forceRequest || outer.claims?["software_statement"] != nil
        let statementText = isRequest ? outer.claims?["software_statement"]?.stringValue : text
        let inner = statementText.map(Unverified.init) ?? Unverified("")
        let entry = inner.claims?["iss"]?.stringValue.flatMap(registry.trustedIssuer)

        print("checking:     \(isRequest ? "signed registration request" : "software statement") (dry run)")
        printFacts(outer: outer, inner: inner, isRequest: isRequest, entry: entry)

        var trustSteps = statementSteps(entry: entry, statement: inner)
        if isRequest { trustSteps = requestSteps(outer: outer, statement: inner, entry: entry, trustSteps) }

        guard trusted else {
            let rule = isRequest ? "signed_request" : "software_statement"
            print("rules:")
            print("  REFUSED      \(rule) no issuer is trusted: registration.trusted_issuers is empty")
            print("result:       REFUSED by \(rule): unapproved_software_statement")
            return false
        }

        // The trust decision: the endpoint's verifiers.
        let statement: VerifiedSoftwareStatement
        var metadata: JSONObject? = requestMetadata
        do {
            if isRequest {
                let verified = try SignedRegistrationRequest(registry: registry, audience: audience)
                    .verify(Array(text.utf8), now: now)
                statement = verified.statement
                metadata = RegistrationService.requestMetadata(verified)
            } else {
                statement = try registry.verify(text, now: now)
            }
        } catch {
            let rule = TrustRule.allCases.first { error.errorDescription?.hasPrefix($0.rawValue + ": ") == true }
            var position = rule.flatMap { rule in trustSteps.firstIndex { $0.rule == rule.rawValue } }
            if rule == .requiredClaims, inner.claims?["iss"] == nil {
                position = trustSteps.firstIndex { $0.rule == TrustRule.trustedIssuer.rawValue }
            }
            printSteps(trustSteps, refusedAt: position, refusal: error)
            if let entry {
                printPolicy(entry.policy, of: "trusted issuer \(entry.issuer)")
            } else {
                print("policy:       none applies (the statement's issuer is not trusted)")
            }
            printResult(rule: rule?.rawValue ?? "software_statement", error: error)
            return false
        }
        printSteps(trustSteps, refusedAt: nil, refusal: nil)

        // The metadata rules, where there is metadata to check.
        var accepted = true
        let metadataTitle =
            "metadata rules (the registration endpoint's, over the statement and the request's metadata):"
        if let metadata {
            let steps =
                validator.rules.map { Step(rule: $0.name, what: "") }
                + [Step(rule: "client_metadata", what: "the result is valid client metadata")]
            do {
                let validated = try validator.validate(
                    request: metadata,
                    statement: statement,
                    policy: statement.policy,
                    certificate: certificate,
                    now: now
                )
                printSteps(steps, refusedAt: nil, refusal: nil, title: metadataTitle)
                for adjustment in validated.adjustments { print("  adjusted:    \(terminalSafe(adjustment))") }
            } catch {
                printSteps(
                    steps,
                    refusedAt: steps.firstIndex { $0.rule == error.rule },
                    refusal: error.error,
                    title: metadataTitle
                )
                printPolicy(statement.policy, of: "trusted issuer \(statement.issuer)")
                printResult(rule: error.rule, error: error.error)
                accepted = false
            }
        }
        guard accepted else { return false }
        printPolicy(statement.policy, of: "trusted issuer \(statement.issuer)")
        print(
            "not checked:  jti replay (used_jtis), \(statement.policy.uniqueness.rawValue) uniqueness and the initial access token (they need the database and the request)"
        )
        print(
            "result:       ACCEPTED\(metadata == nil ? " (statement only: give --metadata for the metadata rules)" : "")"
        )
        return true
    }

    // MARK: - Rules in the endpoint's order (TrustRegistry and SignedRegistrationRequest)

    private func statementSteps(entry: TrustedIssuer?, statement: Unverified) -> [Step] {
        var steps = [
            Step(rule: TrustRule.statementFormat.rawValue, what: "a compact JWS with a public-key alg and JSON claims"),
            Step(rule: TrustRule.trustedIssuer.rawValue, what: "iss names a trusted issuer"),
            Step(
                rule: TrustRule.statementAlgorithm.rawValue,
                what: "alg is one the issuer allows"
                    + (entry.map { " (" + $0.algorithms.map(\.rawValue).sorted().joined(separator: ", ") + ")" } ?? "")
            ),
        ]
        if entry?.certificateAuthorities != nil, statement.header?["x5c"] != nil {
            steps += [
                Step(rule: TrustRule.certificateChain.rawValue, what: "the x5c chain verifies to the issuer's ca_file"),
                Step(rule: TrustRule.statementSignature.rawValue, what: "the signature verifies with the x5c leaf"),
                Step(rule: TrustRule.statementSigner.rawValue, what: "the x5c leaf is one of statement_signers"),
            ]
        } else if let entry, let keyID = statement.header?.keyID,
            entry.signerCertificates.contains(where: { Identifier.equal($0.keyID, keyID) })
        {
            steps += [
                Step(
                    rule: TrustRule.signerCertificate.rawValue,
                    what: "the signer_certificates entry kid names is valid now and allows digitalSignature"
                ),
                Step(rule: TrustRule.statementSignature.rawValue, what: "the signature verifies with its key"),
            ]
        } else {
            steps += [
                Step(
                    rule: TrustRule.statementKey.rawValue,
                    what: "kid names a key of the issuer (signer_certificates, jwks_file, jwks_uri)"
                ),
                Step(rule: TrustRule.statementSignature.rawValue, what: "the signature verifies with that key"),
            ]
        }
        if entry?.revokedKeysURI != nil {
            steps.append(Step(rule: TrustRule.revokedStatementKey.rawValue, what: "the key is not on revoked_keys_uri"))
        }
        var required = TrustedIssuer.alwaysRequiredClaims
        for name in entry?.requiredClaims ?? [] where !required.contains(name) { required.append(name) }
        let skew = registry.clockSkewSeconds
        steps += [
            Step(rule: TrustRule.requiredClaims.rawValue, what: "carries " + required.joined(separator: ", ")),
            Step(rule: TrustRule.statementExpiry.rawValue, what: "exp, where present, has not passed (skew \(skew) s)"),
            Step(rule: TrustRule.statementNotBefore.rawValue, what: "nbf, where present, has passed"),
            Step(rule: TrustRule.statementIssuedAt.rawValue, what: "iat is not in the future"),
            Step(
                rule: TrustRule.statementMaximumAge.rawValue,
                what: "iat is within max_age_seconds" + (entry.map { " (\($0.maximumAgeSeconds) s)" } ?? "")
            ),
            Step(rule: TrustRule.softwareID.rawValue, what: "software_id is a non-empty string"),
        ]
        if statement.claims?["org_id"] != nil {
            steps.append(Step(rule: TrustRule.organizationID.rawValue, what: "org_id is a non-empty string"))
        }
        if statement.claims?["org_status"] != nil {
            steps.append(Step(rule: TrustRule.organizationStatus.rawValue, what: "org_status is Active"))
        }
        return steps
    }

    private func requestSteps(
        outer: Unverified,
        statement: Unverified,
        entry: TrustedIssuer?,
        _ statementSteps: [Step]
    ) -> [Step] {
        var steps = [
            Step(rule: TrustRule.requestFormat.rawValue, what: "the request is a compact JWS with JSON claims"),
            Step(rule: TrustRule.softwareStatement.rawValue, what: "its claims carry a software_statement string"),
        ]
        steps += statementSteps.map { Step(rule: $0.rule, what: "statement: " + $0.what) }
        steps += [
            Step(rule: TrustRule.requestHeader.rawValue, what: "no x5c, x5u, jku or jwk in the request header"),
            Step(
                rule: TrustRule.requestAlgorithm.rawValue,
                what: "the request's alg is one the issuer allows"
                    + (entry.map { " (" + $0.algorithms.map(\.rawValue).sorted().joined(separator: ", ") + ")" } ?? "")
            ),
        ]
        let keys = Step(
            rule: TrustRule.softwareKeys.rawValue,
            what: "the statement names software keys (software_jwks, or software_jwks_endpoint on software_jwks_hosts)"
        )
        let key = Step(rule: TrustRule.requestKey.rawValue, what: "the request's kid names one of them")
        steps += outer.header?.keyID == nil ? [key, keys] : [keys, key]
        if statement.claims?["software_jwks_revoked_endpoint"] != nil {
            steps.append(
                Step(
                    rule: TrustRule.revokedSoftwareKey.rawValue,
                    what: "the key is not at software_jwks_revoked_endpoint"
                )
            )
        }
        steps += [
            Step(rule: TrustRule.requestSignature.rawValue, what: "the request's signature verifies with that key"),
            Step(rule: TrustRule.requestClaims.rawValue, what: "the request carries iss, iat, exp and jti"),
            Step(rule: TrustRule.requestExpiry.rawValue, what: "the request's exp has not passed"),
            Step(rule: TrustRule.requestNotBefore.rawValue, what: "the request's nbf, where present, has passed"),
            Step(rule: TrustRule.requestIssuedAt.rawValue, what: "the request's iat is not in the future"),
            Step(rule: TrustRule.requestIssuer.rawValue, what: "the request's iss is the statement's software_id"),
        ]
        if entry?.policy.requireRequestAudience ?? true {
            steps.append(Step(rule: TrustRule.requestAudience.rawValue, what: "the request's aud names \(audience)"))
        }
        return steps
    }

    // MARK: - Printing

    private func printFacts(outer: Unverified, inner: Unverified, isRequest: Bool, entry: TrustedIssuer?) {
        let claims = inner.claims
        if let issuer = claims?["iss"]?.stringValue {
            print("issuer:       \(terminalSafe(issuer)) (\(entry == nil ? "NOT a trusted issuer" : "trusted issuer"))")
        } else {
            print("issuer:       none (no iss claim)")
        }
        print("software_id:  \(claims?["software_id"].map(Self.show) ?? "none")")
        print("org_id:       \(claims?["org_id"].map(Self.show) ?? "none")")
        if let status = claims?["org_status"] { print("org_status:   \(Self.show(status))") }
        if let header = inner.header {
            print(
                "signed with:  \(header.algorithm), kid \(header.keyID.map(terminalSafe) ?? "none")\(header["x5c"] != nil ? ", x5c chain" : "")"
            )
        }
        if let issuedAt = claims?["iat"]?.int64Value { print("issued at:    \(Self.time(issuedAt))") }
        if let expiresAt = claims?["exp"]?.int64Value { print("expires at:   \(Self.time(expiresAt))") }
        if isRequest, let request = outer.claims {
            print(
                "request:      iss \(request["iss"].map(Self.show) ?? "none"), aud \(request["aud"].map(Self.show) ?? "none"), kid \(outer.header?.keyID.map(terminalSafe) ?? "none")"
            )
        }
        print("(the values above are read before verification)")
    }

    private func printSteps(
        _ steps: [Step],
        refusedAt position: Int?,
        refusal: OAuthError?,
        title: String = "rules:"
    ) {
        print(title)
        let width = steps.map(\.rule.count).max() ?? 0
        for (index, step) in steps.enumerated() {
            let mark: String
            if let position {
                mark = index < position ? "ok" : index == position ? "REFUSED" : "not reached"
            } else {
                mark = refusal == nil ? "ok" : "not reached"
            }
            print("  \(mark.padded(12)) \(step.rule.padded(width)) \(terminalSafe(step.what))")
        }
        if position == nil, let refusal {
            print("  REFUSED      \(terminalSafe(refusal.errorDescription ?? refusal.code))")
        }
    }

    private func printResult(rule: String, error: OAuthError) {
        print("result:       REFUSED by \(rule): \(error.code)")
        if let description = error.errorDescription { print("reason:       \(terminalSafe(description))") }
        if let detail = error.logDetail { print("detail:       \(terminalSafe(detail))") }
    }

    private func printPolicy(_ policy: RegistrationPolicy, of source: String) {
        let tokenRule =
            policy.initialAccessToken == .none
            ? "none" : "\(policy.initialAccessToken.rawValue) (scope \(policy.initialAccessTokenScope))"
        print("policy:       of the \(source)")
        print("  initial_access_token:            \(tokenRule)")
        print("  allowed_authentication_methods:  \(policy.allowedAuthenticationMethods.joined(separator: " "))")
        print("  allowed_grant_types:             \(policy.allowedGrantTypes.joined(separator: " "))")
        let roles = policy.scopesByRole.sorted { $0.key < $1.key }
            .map { "\($0.key): \($0.value.joined(separator: " "))" }
        print("  scopes_by_role:                  \(roles.isEmpty ? "none" : roles.joined(separator: "; "))")
        print(
            "  default_scopes:                  \(policy.defaultScopes.isEmpty ? "none" : policy.defaultScopes.joined(separator: " "))"
        )
        print("  uniqueness:                      \(policy.uniqueness.rawValue)")
        print("  force_certificate_bound_tokens:  \(policy.forceCertificateBoundTokens)")
        print("  require_request_audience:        \(policy.requireRequestAudience)")
        let binding = policy.certificateSubjectBinding.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        print("  certificate_subject_binding:     \(binding.isEmpty ? "none" : binding.joined(separator: ", "))")
    }

    private static func show(_ value: JSONValue) -> String {
        terminalSafe(value.stringValue ?? value.serializedString())
    }

    private static func time(_ seconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
