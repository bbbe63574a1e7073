import Foundation
import OpenSSLCrypto

extension UnverifiedJWS {
    /// Verifies a JWS whose key comes from its own `x5c` header (RFC 7515 §4.1.6): the chain,
    /// leaf first, must verify against `trustStore` at `time` for `purpose` (validity, CA
    /// constraints, key usage; OpenSSL's `X509_verify_cert`), an `x5t` or `x5t#S256` header,
    /// when present, must be the leaf's thumbprint (exactly 20 or 32 bytes), and then the signature must verify with the
    /// leaf's key under `allowedAlgorithms`. This is how a software statement signed by a
    /// directory's certificate is trusted through the directory's CA bundle. Returns the
    /// verified JWS and the verified chain (leaf → root).
    public func verify(
        usingCertificateChainTrustedBy trustStore: CertificateTrustStore,
        at time: Date,
        purpose: CertificatePurpose = .signing,
        allowedAlgorithms: Set<JWSAlgorithm>
    ) throws(JOSEError) -> (jws: VerifiedJWS, chain: [Certificate]) {
        try checkAllowed(allowedAlgorithms)
        guard let encoded = try header.certificateChainDER() else {
            throw .make(.untrustedCertificateChain, "the header has no \"x5c\" certificate chain")
        }
        guard encoded.count <= CertificateTrustStore.maximumIntermediates + 2 else {
            throw .make(.untrustedCertificateChain, "the \"x5c\" chain is longer than allowed")
        }
        var certificates: [Certificate] = []
        for der in encoded {
            do {
                certificates.append(try Certificate(derEncoded: der))
            } catch {
                throw JOSEError(
                    .untrustedCertificateChain,
                    "an \"x5c\" entry is not a DER certificate",
                    detail: "\(error)"
                )
            }
        }
        let leaf = certificates[0]
        if let thumbprint = header["x5t"] {
            guard case .string(let text) = thumbprint, let digest = try? Base64URL.decode(text),
                leaf.hasSHA1Thumbprint(digest)
            else {
                throw .make(.untrustedCertificateChain, "\"x5t\" is not the thumbprint of the \"x5c\" leaf")
            }
        }
        if let thumbprint = header["x5t#S256"] {
            guard case .string(let text) = thumbprint, let digest = try? Base64URL.decode(text),
                digest.count == Digest.sha256.byteCount, constantTimeEquals(digest, leaf.sha256Thumbprint)
            else {
                throw .make(.untrustedCertificateChain, "\"x5t#S256\" is not the thumbprint of the \"x5c\" leaf")
            }
        }
        // A root at the end of the chain adds nothing (trust anchors come from the store
        // only) and would count against the intermediate limit.
        var intermediates = Array(certificates.dropFirst())
        if intermediates.count > 0, intermediates[intermediates.count - 1].isSelfIssued { intermediates.removeLast() }
        let chain: [Certificate]
        switch trustStore.verify(leaf: leaf, intermediates: intermediates, at: time, purpose: purpose) {
        case .success(let verified):
            chain = verified
        case .failure(let failure):
            throw JOSEError(
                .untrustedCertificateChain,
                "the \"x5c\" chain does not verify: \(failure.description)",
                detail: failure.debugDescription,
                certificateVerificationError: failure
            )
        }
        let key: PublicKey
        do {
            key = try leaf.publicKey()
        } catch {
            throw JOSEError(.invalidKey, "the \"x5c\" leaf key is refused by policy", detail: error.debugDescription)
        }
        return (try verify(using: key, allowedAlgorithms: allowedAlgorithms), chain)
    }
}
