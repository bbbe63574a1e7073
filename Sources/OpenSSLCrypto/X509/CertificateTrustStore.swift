internal import COpenSSL
import Foundation

/// A set of trusted CA certificates (and optionally their CRLs) against which
/// certificate chains are verified with OpenSSL's `X509_verify_cert`.
///
/// Credence holds one per purpose: the CAs trusted for RFC 8705 `tls_client_auth`
/// client certificates, and per trusted software-statement issuer the CA bundle
/// that an `x5c` chain must reach (RFC 7591 §2.3, RFC 7515 §4.1.6).
///
/// Thread safety: build it once, then call ``verify(leaf:intermediates:at:purpose:)``
/// from any number of threads at once. The underlying `X509_STORE` is never
/// modified after the initializer returns; OpenSSL 3 guards its lookups with the
/// store's own lock, and every verification uses its own `X509_STORE_CTX`.
public struct CertificateTrustStore: Sendable {
    /// The most intermediate CA certificates a chain may have (`X509_VERIFY_PARAM_set_depth`);
    /// longer chains fail with `chainTooLong`, and more intermediates than this are not even tried.
    public static let maximumIntermediates = 6

    /// The largest CRL file accepted.
    public static let maximumCRLLength = 64 * 1024 * 1024

    let storage: Storage

    /// A store trusting exactly `trustAnchors`, with CRLs from `crlPEM` when given.
    ///
    /// With CRLs, `X509_V_FLAG_CRL_CHECK` is set: the leaf's issuer must have a valid
    /// CRL in the file (checked at the validation time), or verification fails with
    /// `revocationStatusUnknown` (fail closed). Only the leaf is checked for revocation,
    /// not the intermediates.
    ///
    /// - Throws: ``CertificateError``: `noCertificates` when `trustAnchors` is empty;
    ///   `malformedCRL`, `tooLarge` or a PEM code for a bad CRL file.
    public init(trustAnchors: [Certificate], crlPEM: String? = nil) throws {
        guard !trustAnchors.isEmpty else {
            throw CertificateError.make(.noCertificates, "a trust store needs at least one CA certificate")
        }
        guard let store = X509_STORE_new() else {
            throw CertificateError.openSSL(.internalError, "X509_STORE_new failed")
        }
        // Owned from here on: freed by Storage.deinit even if we throw below.
        let storage = Storage(store: store, anchors: trustAnchors, checksRevocation: crlPEM != nil)
        for anchor in trustAnchors {
            guard X509_STORE_add_cert(store, anchor.storage.handle.pointer) == 1 else {
                // Adding the same certificate twice fails harmlessly; anything else is fatal.
                let detail = OpenSSLErrorQueue.drain()
                if detail.contains("cert already in hash table") { continue }
                throw CertificateError.make(.internalError, "X509_STORE_add_cert failed", detail: detail)
            }
        }
        if let crlPEM {
            try Self.addCRLs(crlPEM, to: store)
        }
        self.storage = storage
    }

    /// A store trusting the certificates of a PEM bundle (see ``Certificate/parsePEMBundle(_:)``).
    public init(pemBundle: String, crlPEM: String? = nil) throws {
        try self.init(trustAnchors: Certificate.parsePEMBundle(pemBundle), crlPEM: crlPEM)
    }

    /// A store trusting the certificates of a PEM bundle file, with CRLs from a PEM file when given.
    ///
    /// - Throws: ``CertificateError``: `fileUnreadable`, `tooLarge`, and the codes of
    ///   ``init(pemBundle:crlPEM:)``.
    public init(contentsOfFile path: String, crlFile: String? = nil) throws {
        let bundle = try Self.readFile(path, limit: Certificate.maximumPEMBundleLength)
        let crls = try crlFile.map { try Self.readFile($0, limit: Self.maximumCRLLength) }
        try self.init(pemBundle: bundle, crlPEM: crls)
    }

    /// The trusted CA certificates, in the order given.
    public var trustAnchors: [Certificate] { storage.anchors }

    /// Whether CRLs were configured (and so the leaf's revocation is checked).
    public var checksRevocation: Bool { storage.checksRevocation }

    /// Verifies that `leaf` chains to one of the trust anchors at `time`, for `purpose`.
    ///
    /// OpenSSL builds the chain from `intermediates` (untrusted, in any order) and the
    /// anchors, then checks signatures, validity periods at `time` (pinned with
    /// `X509_VERIFY_PARAM_set_time`: nothing reads the clock), basicConstraints and
    /// pathLenConstraint, keyUsage of the CAs, critical extensions, OpenSSL's strict RFC 5280
    /// profile checks (`X509_V_FLAG_X509_STRICT`), the 112-bit
    /// security level (auth level 2: no RSA under 2048 bits, no SHA-1), the leaf's
    /// revocation when CRLs are configured, and the ``CertificatePurpose``.
    ///
    /// Self-signed leaves: a self-signed leaf that is not an anchor fails with
    /// `selfSignedLeafNotTrusted`. A leaf that *is* one of the anchors (self-signed or
    /// not) fails with `leafIsTrustAnchor`, for every purpose: a trust store holds CAs,
    /// and a certificate placed there to trust what it issues must not also
    /// authenticate as a client or sign as an end entity. Clients with self-signed
    /// certificates use RFC 8705 §2.2 `self_signed_tls_client_auth`, which pins the
    /// key in the client's registered JWKS and needs no trust store.
    ///
    /// - Returns: the verified chain, leaf first and trust anchor last, or the reason it failed.
    public func verify(
        leaf: Certificate,
        intermediates: [Certificate] = [],
        at time: Date,
        purpose: CertificatePurpose
    ) -> Result<[Certificate], CertificateVerificationError> {
        let interval = time.timeIntervalSince1970.rounded(.down)
        guard interval.isFinite, let seconds = Int(exactly: interval) else {
            return .failure(.init(code: .other, reason: "validation time not representable"))
        }
        guard intermediates.count <= Self.maximumIntermediates else {
            return .failure(.init(code: .chainTooLong, reason: "too many intermediate certificates"))
        }
        guard !storage.anchors.contains(leaf) else {
            return .failure(.init(code: .leafIsTrustAnchor, depth: 0, reason: "the leaf is a trust anchor"))
        }
        return withExtendedLifetime((leaf, intermediates, storage)) {
            verifyRetained(leaf: leaf, intermediates: intermediates, at: seconds, purpose: purpose)
        }
    }

    private func verifyRetained(
        leaf: Certificate,
        intermediates: [Certificate],
        at seconds: Int,
        purpose: CertificatePurpose
    ) -> Result<[Certificate], CertificateVerificationError> {
        guard let context = X509_STORE_CTX_new() else {
            OpenSSLErrorQueue.drain()
            return .failure(.init(code: .other, reason: "X509_STORE_CTX_new failed"))
        }
        defer { X509_STORE_CTX_free(context) }
        guard let untrusted = COpenSSL_sk_X509_new_null() else {
            OpenSSLErrorQueue.drain()
            return .failure(.init(code: .other, reason: "sk_X509_new_null failed"))
        }
        // The stack borrows the X509 pointers (no up-ref): the values outlive this call.
        defer { COpenSSL_sk_X509_free(untrusted) }
        for certificate in intermediates {
            guard COpenSSL_sk_X509_push(untrusted, certificate.storage.handle.pointer) > 0 else {
                OpenSSLErrorQueue.drain()
                return .failure(.init(code: .other, reason: "sk_X509_push failed"))
            }
        }
        guard X509_STORE_CTX_init(context, storage.store, leaf.storage.handle.pointer, untrusted) == 1,
            let parameters = X509_STORE_CTX_get0_param(context)
        else {
            OpenSSLErrorQueue.drain()
            return .failure(.init(code: .other, reason: "X509_STORE_CTX_init failed"))
        }
        X509_VERIFY_PARAM_set_time(parameters, time_t(seconds))
        X509_VERIFY_PARAM_set_depth(parameters, Int32(Self.maximumIntermediates))
        X509_VERIFY_PARAM_set_auth_level(parameters, 2)
        // X509_STRICT: OpenSSL's RFC 5280 conformance checks on every certificate of the chain
        // (CA certificates with keyUsage, critical basicConstraints and a subject key
        // identifier; authority key identifiers; no empty issuer; no negative or zero serial...).
        var flags = UInt(X509_V_FLAG_X509_STRICT)
        if storage.checksRevocation { flags |= UInt(X509_V_FLAG_CRL_CHECK) }
        X509_VERIFY_PARAM_set_flags(parameters, flags)
        if purpose == .tlsClient {
            guard X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_CLIENT) == 1 else {
                OpenSSLErrorQueue.drain()
                return .failure(.init(code: .other, reason: "X509_STORE_CTX_set_purpose failed"))
            }
        }

        guard X509_verify_cert(context) == 1 else {
            return .failure(Self.failure(of: context))
        }

        guard let chain = chain(of: context, leaf: leaf, intermediates: intermediates) else {
            OpenSSLErrorQueue.drain()
            return .failure(.init(code: .other, reason: "verified chain could not be read"))
        }
        return Self.applyPolicy(chain: chain, anchors: storage.anchors, purpose: purpose)
    }

    /// Credence's rules on top of OpenSSL's: no anchor as leaf, no CA as leaf, digitalSignature.
    private static func applyPolicy(
        chain: [Certificate],
        anchors: [Certificate],
        purpose: CertificatePurpose
    ) -> Result<[Certificate], CertificateVerificationError> {
        guard let leaf = chain.first, chain.count >= 2, !anchors.contains(leaf) else {
            return .failure(.init(code: .leafIsTrustAnchor, depth: 0, reason: "the leaf is a trust anchor"))
        }
        switch purpose {
        case .tlsClient, .signing:
            if leaf.isCA {
                return .failure(.init(code: .purposeMismatch, depth: 0, reason: "the leaf is a CA certificate"))
            }
            if let keyUsage = leaf.storage.keyUsage, keyUsage & UInt32(KU_DIGITAL_SIGNATURE) == 0 {
                return .failure(
                    .init(code: .purposeMismatch, depth: 0, reason: "keyUsage does not allow digitalSignature")
                )
            }
        case .any:
            break
        }
        return .success(chain)
    }

    /// The error of a failed `X509_verify_cert`, with the thread's error queue drained.
    private static func failure(of context: OpaquePointer) -> CertificateVerificationError {
        let error = X509_STORE_CTX_get_error(context)
        let depth = Int(X509_STORE_CTX_get_error_depth(context))
        var detail = ""
        if let text = X509_verify_cert_error_string(Int(error)) {
            detail = String(cString: text)
        }
        if let current = X509_STORE_CTX_get_current_cert(context),
            let name = X509_get_subject_name(current),
            let subject = try? DistinguishedName(x509Name: name)
        {
            detail += "; subject \(subject.rfc4514String)"
        }
        let queue = OpenSSLErrorQueue.drain()
        if !queue.isEmpty { detail += "; \(queue)" }
        let code = CertificateVerificationError.code(forOpenSSLError: error)
        return CertificateVerificationError(
            code: code,
            openSSLCode: Int(error),
            depth: depth,
            reason: Self.reason(for: code),
            detail: detail
        )
    }

    private static func reason(for code: CertificateVerificationError.Code) -> String {
        switch code {
        case .unableToGetIssuer: return "no issuer certificate found for the chain"
        case .untrustedRoot: return "the chain ends in an untrusted root"
        case .selfSignedLeafNotTrusted: return "self-signed certificate not trusted"
        case .expired: return "certificate expired"
        case .notYetValid: return "certificate not yet valid"
        case .invalidCA: return "an issuer is not a CA"
        case .chainTooLong: return "chain too long"
        case .purposeMismatch: return "certificate not valid for this purpose"
        case .revoked: return "certificate revoked"
        case .revocationStatusUnknown: return "revocation status unknown"
        case .signatureFailure: return "signature in the chain does not verify"
        case .weakKeyOrAlgorithm: return "key or signature algorithm too weak"
        case .unhandledCriticalExtension: return "unhandled critical extension"
        case .nonConformingCertificate: return "a certificate in the chain does not conform to RFC 5280"
        default: return "certificate chain did not verify"
        }
    }

    /// The verified chain as values, leaf first; the same values that were passed in
    /// or stored where OpenSSL used them.
    private func chain(
        of context: OpaquePointer,
        leaf: Certificate,
        intermediates: [Certificate]
    )
        -> [Certificate]?
    {
        guard let stack = X509_STORE_CTX_get1_chain(context) else { return nil }
        defer { COpenSSL_sk_X509_pop_free(stack) }
        var known = storage.anchorsByPointer
        known[leaf.storage.handle.pointer] = leaf
        for certificate in intermediates { known[certificate.storage.handle.pointer] = certificate }
        var chain: [Certificate] = []
        for index in 0..<COpenSSL_sk_X509_num(stack) {
            guard let pointer = COpenSSL_sk_X509_value(stack, index) else { return nil }
            if let certificate = known[pointer] {
                chain.append(certificate)
            } else {
                // Not one of ours (OpenSSL never does this today): decode a copy.
                guard let der = X509DER.encode({ i2d_X509(pointer, $0) }),
                    let certificate = try? Certificate(derEncoded: der)
                else { return nil }
                chain.append(certificate)
            }
        }
        return chain
    }

    private static func addCRLs(_ pem: String, to store: OpaquePointer) throws {
        let bytes = Array(pem.utf8)
        guard bytes.count <= maximumCRLLength else {
            throw CertificateError.make(.tooLarge, "CRL file too large")
        }
        let blocks = try X509PEM.decode(bytes, label: "X509 CRL", mode: .bundle)
        guard !blocks.isEmpty else {
            throw CertificateError.make(.malformedCRL, "CRL file holds no CRL")
        }
        for der in blocks {
            let crl: OpaquePointer = try der.withUnsafeBufferPointer { buffer in
                var cursor = buffer.baseAddress
                guard let base = buffer.baseAddress, let crl = d2i_X509_CRL(nil, &cursor, buffer.count) else {
                    throw CertificateError.openSSL(.malformedCRL, "not a DER X.509 CRL")
                }
                guard let cursor, cursor - base == buffer.count else {
                    X509_CRL_free(crl)
                    throw CertificateError.make(.malformedCRL, "bytes after the CRL")
                }
                return crl
            }
            defer { X509_CRL_free(crl) }  // the store holds its own reference
            guard X509_STORE_add_crl(store, crl) == 1 else {
                let detail = OpenSSLErrorQueue.drain()
                if detail.contains("already in hash table") { continue }
                throw CertificateError.make(.malformedCRL, "X509_STORE_add_crl failed", detail: detail)
            }
        }
    }

    private static func readFile(_ path: String, limit: Int) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? NSNumber, size.intValue > limit {
            throw CertificateError.make(.tooLarge, "file too large", detail: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CertificateError.make(.fileUnreadable, "file cannot be read", detail: path)
        }
        guard data.count <= limit else {
            throw CertificateError.make(.tooLarge, "file too large", detail: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CertificateError.make(.notPEM, "file is not UTF-8 text", detail: path)
        }
        return text
    }
}

extension CertificateTrustStore {
    /// Owns the `X509_STORE`.
    ///
    /// `@unchecked Sendable`: the store is filled in the initializer and only read
    /// afterwards; OpenSSL 3 locks its own lookups (`X509_STORE_lock`), so concurrent
    /// `X509_verify_cert` calls on separate contexts sharing it are safe.
    final class Storage: @unchecked Sendable {
        let store: OpaquePointer
        let anchors: [Certificate]
        let anchorsByPointer: [OpaquePointer: Certificate]
        let checksRevocation: Bool

        init(store: OpaquePointer, anchors: [Certificate], checksRevocation: Bool) {
            self.store = store
            self.anchors = anchors
            var byPointer: [OpaquePointer: Certificate] = [:]
            for anchor in anchors { byPointer[anchor.storage.handle.pointer] = anchor }
            self.anchorsByPointer = byPointer
            self.checksRevocation = checksRevocation
        }

        deinit {
            X509_STORE_free(store)
        }
    }
}
