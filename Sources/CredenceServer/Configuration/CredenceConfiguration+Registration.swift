import CredenceCore
import CredenceJOSE
import Foundation
import OpenSSLCrypto
import Yams

extension CredenceConfiguration {
    /// `registration`: the trust registry of software-statement issuers and the registration
    /// policy (RFC 7591, Open Banking UK DCR). Absent: no issuer is trusted, so every software
    /// statement is `unapproved_software_statement`, and the global policy is
    /// ``RegistrationPolicy/default``.
    public struct RegistrationSettings: Sendable {
        /// `registration.policy`: the defaults every trusted issuer starts from (and the policy of
        /// registrations without a statement, where those are allowed).
        public var policy: RegistrationPolicy
        /// `registration.trusted_issuers`, in file order.
        public var trustedIssuers: [TrustedIssuerSettings]

        /// No trusted issuer, the default policy.
        public static let defaults = RegistrationSettings(policy: .default, trustedIssuers: [])
    }

    /// One `registration.trusted_issuers` entry: the core's ``TrustedIssuer``, with its files
    /// already read and checked, and the names of those files for `check-config`.
    public struct TrustedIssuerSettings: Sendable {
        /// The entry as the trust registry uses it.
        public var entry: TrustedIssuer
        /// `jwks_file`, as written.
        public var jwksFile: String?
        /// `ca_file`, as written.
        public var caFile: String?
        /// `transport_ca_file`, as written (`nil`: the transport CAs are `ca_file`'s, if any).
        public var transportCAFile: String? = nil
        /// The files of `signer_certificates`, as written, in the order of ``TrustedIssuer/signerCertificates``.
        public var signerCertificateFiles: [String] = []

        /// One line for `check-config`: the issuer, its key sources, algorithms and limits.
        public var summary: String {
            var sources: [String] = []
            if let jwksFile, let keys = entry.keys {
                sources.append("jwks_file \(jwksFile) (\(keys.keys.count) key\(keys.keys.count == 1 ? "" : "s"))")
            }
            for (file, signer) in zip(signerCertificateFiles, entry.signerCertificates) {
                sources.append(
                    "signer certificate \(file) (kid \(signer.keyID), valid until \(signer.certificate.notValidAfter.formatted(.iso8601)))"
                )
            }
            if let uri = entry.jwksURI { sources.append("jwks_uri \(uri)") }
            if let caFile {
                sources.append("x5c to ca_file \(caFile) signed by \(entry.statementSigners.count) named signer(s)")
            }
            var parts = [
                entry.issuer,
                "keys: " + sources.joined(separator: ", "),
                "algorithms: " + entry.algorithms.map(\.rawValue).sorted().joined(separator: ", "),
                "max age \(entry.maximumAgeSeconds) s",
                "initial access token \(entry.policy.initialAccessToken.rawValue)",
            ]
            if let revoked = entry.revokedKeysURI { parts.append("revoked keys \(revoked)") }
            if !entry.policy.certificateSubjectBinding.isEmpty, let file = transportCAFile ?? caFile {
                parts.append("client certificates bound to statements, chained to \(file)")
            }
            parts.append(
                "software_jwks_hosts: "
                    + (entry.softwareJWKSHosts.isEmpty ? "none" : entry.softwareJWKSHosts.description)
            )
            return parts.joined(separator: "; ")
        }
    }

    /// The largest `jwks_file` read.
    static let maximumIssuerJWKSBytes = 1 << 20

    /// Reads the `registration` section (absent: ``RegistrationSettings/defaults``). Every file an
    /// entry names is read and checked here, and each problem of an entry is keyed
    /// `registration.trusted_issuers[N].key` and names the entry's issuer.
    static func parseRegistration(
        _ section: inout YAMLSection,
        jwksFetch: JWKSFetchSettings,
        files: (String) -> Result<ConfigurationFileContents, ConfigurationFileError>,
        problems: inout [ConfigurationProblem]
    ) -> RegistrationSettings {
        var policySection = section.section("policy", problems: &problems)
        let policy = parseRegistrationPolicy(&policySection, base: .default, problems: &problems)
        var issuers: [TrustedIssuerSettings] = []
        for (index, node) in (section.list("trusted_issuers", problems: &problems) ?? []).enumerated() {
            var entryProblems: [ConfigurationProblem] = []
            var item = YAMLSection(
                node: node,
                path: section.keyPath("trusted_issuers") + "[\(index)]",
                problems: &entryProblems
            )
            let parsed = parseTrustedIssuer(
                &item,
                line: node.mark?.line,
                globalPolicy: policy,
                jwksFetch: jwksFetch,
                files: files,
                problems: &entryProblems
            )
            // Say which issuer each problem belongs to, as well as where it is.
            if let name = parsed.issuer {
                if issuers.contains(where: { Identifier.equal($0.entry.issuer, name) }) {
                    entryProblems.append(item.problem("issuer", "is listed more than once"))
                }
                entryProblems = entryProblems.map {
                    ConfigurationProblem(key: $0.key, message: "[issuer \(name)] \($0.message)", line: $0.line)
                }
            }
            problems += entryProblems
            if entryProblems.isEmpty, let settings = parsed.settings { issuers.append(settings) }
        }
        section.reportUnknownKeys(problems: &problems)
        return RegistrationSettings(policy: policy, trustedIssuers: issuers)
    }

    // MARK: - One trusted issuer

    private static func parseTrustedIssuer(
        _ item: inout YAMLSection,
        line: Int?,
        globalPolicy: RegistrationPolicy,
        jwksFetch: JWKSFetchSettings,
        files: (String) -> Result<ConfigurationFileContents, ConfigurationFileError>,
        problems: inout [ConfigurationProblem]
    ) -> (issuer: String?, settings: TrustedIssuerSettings?) {
        let issuer = item.string("issuer", problems: &problems)
        if issuer == nil || issuer?.isEmpty == true {
            problems.append(
                ConfigurationProblem(
                    key: item.keyPath("issuer"),
                    message: "required: the iss value this directory's software statements carry",
                    line: item.line(of: "issuer") ?? line
                )
            )
        }
        var entry = TrustedIssuer(issuer: issuer ?? "")

        // Hosts: URLs taken from statements may point only here; the entry's own URLs may
        // also sit on jwks_fetch.allowed_hosts.
        if let hosts = item.stringList("software_jwks_hosts", problems: &problems) {
            let invalid = hosts.compactMap(JWKSHostAllowlist.problem(with:))
            if let allowlist = JWKSHostAllowlist(hosts), invalid.isEmpty {
                entry.softwareJWKSHosts = allowlist
            } else {
                problems.append(item.problem("software_jwks_hosts", invalid.joined(separator: "; ")))
            }
        }
        entry.issuerKeyHosts = jwksFetch.allowedHosts.union(entry.softwareJWKSHosts)

        let jwksFile = item.string("jwks_file", problems: &problems)
        if let jwksFile {
            entry.keys = readIssuerKeys(jwksFile, key: "jwks_file", in: item, files: files, problems: &problems)
        }
        let signerCertificates = parseSignerCertificates(&item, files: files, now: Date(), problems: &problems)
        entry.signerCertificates = signerCertificates?.signers ?? []
        for signer in entry.signerCertificates where entry.keys?.contains(keyID: signer.keyID) == true {
            problems.append(
                item.problem(
                    "signer_certificates",
                    "the kid \(signer.keyID) is also a key of jwks_file: kids must be unique"
                )
            )
        }
        entry.jwksURI = issuerURL("jwks_uri", in: &item, hosts: entry.issuerKeyHosts, problems: &problems)
        entry.revokedKeysURI = issuerURL(
            "revoked_keys_uri",
            in: &item,
            hosts: entry.issuerKeyHosts,
            problems: &problems
        )

        let caFile = item.string("ca_file", problems: &problems)
        if let caFile {
            switch files(caFile) {
            case .success(let contents):
                do {
                    entry.certificateAuthorities = try CertificateTrustStore(
                        pemBundle: String(decoding: contents.bytes, as: UTF8.self)
                    )
                } catch {
                    problems.append(
                        item.problem("ca_file", "\(caFile) is not a usable PEM bundle of CA certificates: \(error)")
                    )
                }
            case .failure(let error):
                problems.append(item.problem("ca_file", "cannot read \(caFile): \(error.reason)"))
            }
        }
        // The CAs of the TPPs' transport certificates, for the certificate binding; by default
        // the directory's own CA bundle, which issues those certificates in Open Banking UK.
        let transportCAFile = item.string("transport_ca_file", problems: &problems)
        if let transportCAFile {
            switch files(transportCAFile) {
            case .success(let contents):
                do {
                    entry.transportCertificateAuthorities = try CertificateTrustStore(
                        pemBundle: String(decoding: contents.bytes, as: UTF8.self)
                    )
                } catch {
                    problems.append(
                        item.problem(
                            "transport_ca_file",
                            "\(transportCAFile) is not a usable PEM bundle of CA certificates: \(error)"
                        )
                    )
                }
            case .failure(let error):
                problems.append(item.problem("transport_ca_file", "cannot read \(transportCAFile): \(error.reason)"))
            }
        } else {
            entry.transportCertificateAuthorities = entry.certificateAuthorities
        }
        if let signers = item.stringList("statement_signers", problems: &problems) {
            for (index, text) in signers.enumerated() {
                switch parseStatementSigner(text) {
                case .success(let signer): entry.statementSigners.append(signer)
                case .failure(let reason):
                    problems.append(
                        ConfigurationProblem(
                            key: item.keyPath("statement_signers") + "[\(index)]",
                            message: reason.message,
                            line: item.line(of: "statement_signers")
                        )
                    )
                }
            }
            if signers.isEmpty {
                problems.append(item.problem("statement_signers", "must name at least one signer"))
            }
            if caFile == nil {
                problems.append(item.problem("statement_signers", "needs ca_file: the CA the signers' chains reach"))
            }
        } else if caFile != nil {
            problems.append(
                item.problem(
                    "ca_file",
                    "needs statement_signers: the directory's CA also issues the TPPs' certificates, so name the subject DN or SPKI sha256 of the certificates that sign statements"
                )
            )
        }
        if jwksFile == nil && !item.contains("jwks_uri") && caFile == nil && signerCertificates == nil {
            problems.append(
                ConfigurationProblem(
                    key: item.path,
                    message:
                        "needs a key source: signer_certificates, jwks_file, jwks_uri, or ca_file with statement_signers",
                    line: line
                )
            )
        }

        if let names = item.stringList("algorithms", problems: &problems) {
            var algorithms: Set<JWSAlgorithm> = []
            for name in names {
                if let algorithm = JWSAlgorithm(rawValue: name) {
                    algorithms.insert(algorithm)
                } else {
                    problems.append(
                        item.problem(
                            "algorithms",
                            "\(name) is not allowed; use \(JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")) (never none or HMAC)"
                        )
                    )
                }
            }
            if names.isEmpty { problems.append(item.problem("algorithms", "must list at least one algorithm")) }
            entry.algorithms = algorithms
        }
        if let claims = item.stringList("required_claims", problems: &problems) {
            if claims.contains(where: \.isEmpty) {
                problems.append(item.problem("required_claims", "claim names must not be empty"))
            }
            entry.requiredClaims = claims
        }
        entry.maximumAgeSeconds =
            item.integer("max_age_seconds", in: 60...31_536_000, problems: &problems)
            ?? TrustedIssuer.defaultMaximumAgeSeconds
        var policySection = item.section("policy", problems: &problems)
        entry.policy = parseRegistrationPolicy(&policySection, base: globalPolicy, problems: &problems)
        if !entry.policy.certificateSubjectBinding.isEmpty && transportCAFile == nil && caFile == nil {
            problems.append(
                ConfigurationProblem(
                    key: item.keyPath("transport_ca_file"),
                    message:
                        "required: the policy binds registrations to the client certificate (certificate_subject_binding), and that certificate must chain to this issuer's CAs; set transport_ca_file (or ca_file)",
                    line: line
                )
            )
        }
        item.reportUnknownKeys(problems: &problems)

        guard let issuer, !issuer.isEmpty else { return (nil, nil) }
        return (
            issuer,
            TrustedIssuerSettings(
                entry: entry,
                jwksFile: jwksFile,
                caFile: caFile,
                transportCAFile: transportCAFile,
                signerCertificateFiles: signerCertificates?.files ?? []
            )
        )
    }

    /// A JWK Set file of the issuer's public keys: parsed strictly (private members refuse the
    /// whole file), with at least one usable key that has a `kid` (keys are chosen by `kid`).
    private static func readIssuerKeys(
        _ path: String,
        key: String,
        in item: YAMLSection,
        files: (String) -> Result<ConfigurationFileContents, ConfigurationFileError>,
        problems: inout [ConfigurationProblem]
    ) -> JWKSet? {
        let contents: ConfigurationFileContents
        switch files(path) {
        case .success(let read): contents = read
        case .failure(let error):
            problems.append(item.problem(key, "cannot read \(path): \(error.reason)"))
            return nil
        }
        let keys: JWKSet
        do {
            keys = try JWKSet.parse(contents.bytes, maxBytes: maximumIssuerJWKSBytes)
        } catch {
            problems.append(item.problem(key, "\(path) is not a usable JWK Set of public keys: \(error.reason)"))
            return nil
        }
        for skipped in keys.skipped {
            problems.append(
                item.problem(
                    key,
                    "\(path): the key \(skipped.keyID.map { "with kid \($0)" } ?? "without kid") is not usable: \(skipped.error.reason)"
                )
            )
        }
        if keys.keys.contains(where: { $0.keyID == nil }) {
            problems.append(item.problem(key, "\(path): every key needs a kid (statements choose their key by kid)"))
        }
        if keys.keys.isEmpty { problems.append(item.problem(key, "\(path) holds no key")) }
        return keys
    }

    /// An https URL of the issuer (`jwks_uri`, `revoked_keys_uri`) whose host is on
    /// `jwks_fetch.allowed_hosts` or the entry's `software_jwks_hosts`.
    private static func issuerURL(
        _ key: String,
        in item: inout YAMLSection,
        hosts: JWKSHostAllowlist,
        problems: inout [ConfigurationProblem]
    ) -> String? {
        guard let text = item.string(key, problems: &problems) else { return nil }
        let url: RemoteJWKSURL
        do {
            url = try RemoteJWKSURL(parsing: text)
        } catch {
            problems.append(item.problem(key, error.reason))
            return nil
        }
        guard hosts.allows(url) else {
            let host = url.port == 443 ? url.host : "\(url.host):\(url.port)"
            problems.append(
                item.problem(
                    key,
                    "the host \(host) is on neither jwks_fetch.allowed_hosts nor this entry's software_jwks_hosts; list it in one of them"
                )
            )
            return nil
        }
        return text
    }

    private struct SignerProblem: Error { var message: String }

    /// `sha256:<hex or base64url>` (the SHA-256 of the leaf's SubjectPublicKeyInfo, e.g.
    /// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256`,
    /// colons allowed) or an RFC 4514 subject DN.
    private static func parseStatementSigner(_ text: String) -> Result<TrustedIssuer.StatementSigner, SignerProblem> {
        if text.lowercased().hasPrefix("sha256:") {
            let value = String(text.dropFirst("sha256:".count)).replacingOccurrences(of: ":", with: "")
            if value.count == 64, let bytes = hexBytes(value) { return .success(.publicKeySHA256(bytes)) }
            if let bytes = try? Base64URL.decode(value), bytes.count == 32 { return .success(.publicKeySHA256(bytes)) }
            return .failure(SignerProblem(message: "\(text): a sha256: signer is 32 bytes in hex or base64url"))
        }
        do {
            let name = try DistinguishedName(rfc4514: text)
            guard !name.isEmpty else {
                return .failure(SignerProblem(message: "an empty subject DN would match nothing"))
            }
            return .success(.subject(name))
        } catch {
            return .failure(
                SignerProblem(
                    message: "\(text) is neither sha256:<SPKI SHA-256> nor an RFC 4514 subject DN: \(error)"
                )
            )
        }
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = high.hexDigitValue, let l = low.hexDigitValue else { return nil }
            bytes.append(UInt8(h * 16 + l))
        }
        return bytes
    }

    // MARK: - Policy

    /// Reads a `policy` section over `base`: each key present replaces that member (lists and
    /// mappings whole), each absent one keeps `base`'s.
    static func parseRegistrationPolicy(
        _ section: inout YAMLSection,
        base: RegistrationPolicy,
        problems: inout [ConfigurationProblem]
    ) -> RegistrationPolicy {
        var policy = base
        if let value: RegistrationPolicy.InitialAccessToken = choice(
            "initial_access_token",
            in: &section,
            problems: &problems
        ) {
            policy.initialAccessToken = value
        }
        if let scope = section.string("initial_access_token_scope", problems: &problems) {
            if isScopeToken(scope) {
                policy.initialAccessTokenScope = scope
            } else {
                problems.append(
                    section.problem("initial_access_token_scope", "must be one scope token (RFC 6749 §3.3)")
                )
            }
        }
        if let grants = section.stringList("allowed_grant_types", problems: &problems) {
            for grant in grants where !ClientMetadata.supportedGrantTypes.contains(grant) {
                problems.append(
                    section.problem(
                        "allowed_grant_types",
                        "\(grant) is not served here; use \(ClientMetadata.supportedGrantTypes.joined(separator: ", "))"
                    )
                )
            }
            if grants.isEmpty { problems.append(section.problem("allowed_grant_types", "must list at least one")) }
            policy.allowedGrantTypes = grants
        }
        if let methods = section.stringList("allowed_authentication_methods", problems: &problems) {
            for method in methods where ClientAuthenticationMethod(rawValue: method) == nil {
                problems.append(
                    section.problem(
                        "allowed_authentication_methods",
                        "\(method) is not a method; use \(ClientAuthenticationMethod.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                )
            }
            if methods.isEmpty {
                problems.append(section.problem("allowed_authentication_methods", "must list at least one"))
            }
            policy.allowedAuthenticationMethods = methods
        }
        if section.contains("scopes_by_role") {
            var roles = section.section("scopes_by_role", problems: &problems)
            var scopesByRole: [String: [String]] = [:]
            for role in roles.keys {
                let scopes = roles.stringList(role, problems: &problems) ?? []
                for scope in scopes where !isScopeToken(scope) {
                    problems.append(roles.problem(role, "\(scope) is not a scope token (RFC 6749 §3.3)"))
                }
                scopesByRole[role] = scopes
            }
            roles.reportUnknownKeys(problems: &problems)
            policy.scopesByRole = scopesByRole
        } else {
            _ = section.section("scopes_by_role", problems: &problems)
        }
        if let scopes = section.stringList("default_scopes", problems: &problems) {
            for scope in scopes where !isScopeToken(scope) {
                problems.append(section.problem("default_scopes", "\(scope) is not a scope token (RFC 6749 §3.3)"))
            }
            policy.defaultScopes = scopes
        }
        if let value = section.boolean("force_certificate_bound_tokens", problems: &problems) {
            policy.forceCertificateBoundTokens = value
        }
        if let value: RegistrationPolicy.Uniqueness = choice("uniqueness", in: &section, problems: &problems) {
            policy.uniqueness = value
        }
        if let value: RegistrationPolicy.Mismatch = choice("redirect_uri_mismatch", in: &section, problems: &problems) {
            policy.redirectURIMismatch = value
        }
        if let value: RegistrationPolicy.Mismatch = choice("unsupported_values", in: &section, problems: &problems) {
            policy.unsupportedValues = value
        }
        if let value = section.boolean("require_request_audience", problems: &problems) {
            policy.requireRequestAudience = value
        }
        if let value = section.boolean("allow_without_statement", problems: &problems) {
            policy.allowWithoutStatement = value
        }
        if let value = section.boolean("management_by_registration_access_token", problems: &problems) {
            policy.managementByRegistrationAccessToken = value
        }
        if let value = section.boolean("management_by_access_token", problems: &problems) {
            policy.managementByAccessToken = value
        }
        if let value = section.boolean("rotate_registration_access_token", problems: &problems) {
            policy.rotateRegistrationAccessToken = value
        }
        if section.contains("certificate_subject_binding") {
            var binding = section.section("certificate_subject_binding", problems: &problems)
            var templates: [String: String] = [:]
            for attribute in binding.keys {
                guard let template = binding.string(attribute, problems: &problems) else { continue }
                if (try? DistinguishedName(rfc4514: "\(attribute)=x")) == nil {
                    problems.append(
                        binding.problem(attribute, "\(attribute) is not a certificate attribute name or dotted OID")
                    )
                }
                if let reason = templateProblem(template) { problems.append(binding.problem(attribute, reason)) }
                templates[attribute] = template
            }
            binding.reportUnknownKeys(problems: &problems)
            policy.certificateSubjectBinding = templates
        } else {
            _ = section.section("certificate_subject_binding", problems: &problems)
        }
        section.reportUnknownKeys(problems: &problems)
        return policy
    }

    /// One of an enumeration's raw values.
    private static func choice<Value: RawRepresentable & CaseIterable>(
        _ key: String,
        in section: inout YAMLSection,
        problems: inout [ConfigurationProblem]
    ) -> Value? where Value.RawValue == String {
        guard let text = section.string(key, problems: &problems) else { return nil }
        guard let value = Value(rawValue: text) else {
            problems.append(
                section.problem(key, "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            )
            return nil
        }
        return value
    }

    private static func isScopeToken(_ text: String) -> Bool {
        (try? Scope.parse(text)) == [text]
    }

    /// Why a binding template (`{software_id}`, `OFBBR-{org_id}`) is malformed, or `nil`:
    /// braces pair up around a non-empty claim name of letters, digits and `_`.
    static func templateProblem(_ template: String) -> String? {
        var inside: String?
        for character in template {
            switch (character, inside) {
            case ("{", nil): inside = ""
            case ("}", let name?):
                if name.isEmpty { return "an empty {} names no claim" }
                inside = nil
            case ("{", _), ("}", _):
                return "braces must pair up around a claim name, as in {software_id}"
            case (_, let name?):
                guard character.isASCII, character.isLetter || character.isNumber || character == "_" else {
                    return "a claim name in braces has letters, digits and _ only"
                }
                inside = name + String(character)
            default: break
            }
        }
        return inside == nil ? nil : "an unclosed { in the template"
    }
}
