public import CredenceJOSE
public import Foundation
public import OpenSSLCrypto

/// One directory whose software statements this server trusts (an entry of
/// `registration.trusted_issuers`): the `iss` it signs as, where its keys come from, what its
/// statements must carry, and how the software it vouches for is registered.
///
/// A bank may trust several at once (the UK directory, its sandbox, the Brazilian one), each with
/// its own keys and policy; ``TrustRegistry`` picks the entry by the statement's `iss`.
public struct TrustedIssuer: Sendable {
    /// Which `x5c` leaf certificates may sign statements. A directory's CA also issues the TPPs'
    /// own certificates, so a chain to that CA proves only that the signer is *some* member of
    /// the directory; the entry must name the directory's signing certificates, or a TPP could
    /// sign its own statement.
    public enum StatementSigner: Sendable, Hashable, CustomStringConvertible {
        /// The leaf's subject, compared as RFC 4517 distinguishedNameMatch with RFC 4518
        /// preparation (``DistinguishedName/matches(_:)``). Never empty.
        case subject(DistinguishedName)
        /// The SHA-256 of the leaf's DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), 32 bytes.
        case publicKeySHA256([UInt8])

        /// Whether `certificate` is this signer.
        public func matches(_ certificate: Certificate) -> Bool {
            switch self {
            case .subject(let name):
                return !name.isEmpty && !certificate.subject.isEmpty && certificate.subject.matches(name)
            case .publicKeySHA256(let digest):
                return digest.count == Digest.sha256.byteCount
                    && Digest.sha256(certificate.subjectPublicKeyInfoDER) == digest
            }
        }

        /// `subject <RFC 4514>` or `sha256:<hex>`, as check-config prints it.
        public var description: String {
            switch self {
            case .subject(let name): "subject \(name.rfc4514String)"
            case .publicKeySHA256(let digest): "sha256:" + digest.map { String($0, radix: 16).leftPadded(2) }.joined()
            }
        }
    }

    /// A statement-signing certificate trusted as it is (`signer_certificates`), as the seed's
    /// operator holds the directory's signing certificate rather than a JWK Set: its key signs
    /// statements that name it by `kid`, and only while the certificate is valid and allows
    /// digital signatures (RFC 5280 §4.1.2.5, §4.2.1.3).
    public struct SignerCertificate: Sendable {
        /// The certificate.
        public let certificate: Certificate
        /// Its key, with the `kid` statements name it by: the one configured, else the key's
        /// RFC 7638 SHA-256 thumbprint.
        public let key: JWK

        /// The certificate's key as a JWK; throws for a key the key policy refuses (RSA under
        /// 2048 bits, a degenerate key).
        public init(certificate: Certificate, keyID: String?) throws(CryptoError) {
            let publicKey = try certificate.publicKey()
            self.certificate = certificate
            self.key = JWK(
                publicKey: publicKey,
                keyID: keyID ?? JWK(publicKey: publicKey, keyID: nil, use: nil).thumbprintBase64URL(),
                use: "sig"
            )
        }

        /// The `kid`.
        public var keyID: String { key.keyID ?? "" }

        /// Why the certificate's key may not sign a statement at `now`, or `nil`: expired, not
        /// yet valid, or a keyUsage without digitalSignature.
        public func problem(at now: Date) -> String? {
            usageProblem ?? validityProblem(at: now)
        }

        /// Why the certificate's key may never sign a statement, or `nil`: a keyUsage without
        /// digitalSignature.
        public var usageProblem: String? {
            certificate.allowsDigitalSignature ? nil : "the certificate's keyUsage does not allow digitalSignature"
        }

        /// Why the certificate's key may not sign a statement at `now` though it could at
        /// another time, or `nil`: expired, or not yet valid.
        public func validityProblem(at now: Date) -> String? {
            switch certificate.validity(at: now) {
            case .valid: return nil
            case .expired: return "the certificate expired at \(Self.timestamp(certificate.notValidAfter))"
            case .notYetValid:
                return "the certificate is not valid before \(Self.timestamp(certificate.notValidBefore))"
            }
        }

        private static func timestamp(_ date: Date) -> String {
            date.formatted(.iso8601)
        }
    }

    /// The `iss` value its statements carry, compared byte for byte (``Identifier/equal(_:_:)``).
    public var issuer: String
    /// Keys from a local JWK Set file (`jwks_file`), chosen by `kid`.
    public var keys: JWKSet?
    /// Signing certificates trusted directly (`signer_certificates`), each by its key's `kid`.
    public var signerCertificates: [SignerCertificate]
    /// A JWK Set URL (`jwks_uri`), fetched through the process-wide ``RemoteJWKSCache`` (with a
    /// refetch, at most once a minute, for a `kid` it does not hold).
    public var jwksURI: String?
    /// The CAs an `x5c` chain must reach (`ca_file`); `nil`: `x5c` chains are not used.
    public var certificateAuthorities: CertificateTrustStore?
    /// The leaves that may sign statements through `x5c` (`statement_signers`).
    public var statementSigners: [StatementSigner]
    /// The CAs that issue the transport (TLS client) certificates of the software this issuer
    /// vouches for (`transport_ca_file`, else `ca_file`): under a certificate binding, the
    /// certificate a registration arrives with must chain to these, for TLS client use, whatever
    /// `mtls.trusted_ca_file` also trusts. Another issuer's CA proves nothing about this
    /// issuer's statements.
    public var transportCertificateAuthorities: CertificateTrustStore?
    /// A JWK Set URL listing keys the issuer has revoked (`revoked_keys_uri`): a statement signed
    /// with one of them is refused, and so is every statement while the list cannot be had.
    public var revokedKeysURI: String?
    /// The algorithms its statements (and the signed requests of the software it vouches for)
    /// may use. `none` and HMAC cannot be named (``JWSAlgorithm`` has no such case).
    public var algorithms: Set<JWSAlgorithm>
    /// Claims a statement must carry, in addition to ``alwaysRequiredClaims``.
    public var requiredClaims: [String]
    /// The oldest statement accepted, by `iat`, in seconds (plus the clock skew).
    public var maximumAgeSeconds: Int
    /// Hosts the issuer's own `jwks_uri` and `revoked_keys_uri` may be fetched from:
    /// `jwks_fetch.allowed_hosts` together with ``softwareJWKSHosts``.
    public var issuerKeyHosts: JWKSHostAllowlist
    /// Hosts a URL taken from one of its statements (`software_jwks_endpoint`,
    /// `software_jwks_revoked_endpoint`) may point to; nothing else is fetched for a statement.
    public var softwareJWKSHosts: JWKSHostAllowlist
    /// How the software it vouches for is registered.
    public var policy: RegistrationPolicy

    /// PS256 and ES256, as FAPI and Open Banking UK sign; RS256 only where an entry lists it.
    public static let defaultAlgorithms: Set<JWSAlgorithm> = [.ps256, .es256]
    /// Claims every statement must carry, whatever the entry says: who signed it (`iss`), when
    /// (`iat`, for the maximum age), and what software it describes (`software_id`, RFC 7591 §2).
    public static let alwaysRequiredClaims = ["iss", "iat", "software_id"]
    /// The default `required_claims`: ``alwaysRequiredClaims`` and `jti`, which the
    /// registration records so that one statement is not used twice while unexpired.
    public static let defaultRequiredClaims = ["software_id", "iss", "iat", "jti"]
    /// The default maximum age: one day. A directory signs a fresh statement on request.
    public static let defaultMaximumAgeSeconds = 86_400

    /// An entry with the defaults, trusting no key until one is set.
    public init(
        issuer: String,
        keys: JWKSet? = nil,
        jwksURI: String? = nil,
        signerCertificates: [SignerCertificate] = [],
        certificateAuthorities: CertificateTrustStore? = nil,
        statementSigners: [StatementSigner] = [],
        transportCertificateAuthorities: CertificateTrustStore? = nil,
        revokedKeysURI: String? = nil,
        algorithms: Set<JWSAlgorithm> = TrustedIssuer.defaultAlgorithms,
        requiredClaims: [String] = TrustedIssuer.defaultRequiredClaims,
        maximumAgeSeconds: Int = TrustedIssuer.defaultMaximumAgeSeconds,
        issuerKeyHosts: JWKSHostAllowlist = .empty,
        softwareJWKSHosts: JWKSHostAllowlist = .empty,
        policy: RegistrationPolicy = .default
    ) {
        self.issuer = issuer
        self.keys = keys
        self.jwksURI = jwksURI
        self.signerCertificates = signerCertificates
        self.certificateAuthorities = certificateAuthorities
        self.statementSigners = statementSigners
        self.transportCertificateAuthorities = transportCertificateAuthorities
        self.revokedKeysURI = revokedKeysURI
        self.algorithms = algorithms
        self.requiredClaims = requiredClaims
        self.maximumAgeSeconds = maximumAgeSeconds
        self.issuerKeyHosts = issuerKeyHosts
        self.softwareJWKSHosts = softwareJWKSHosts
        self.policy = policy
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
