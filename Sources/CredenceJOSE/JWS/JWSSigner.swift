public import CredenceJSON
public import OpenSSLCrypto

/// Signs compact JWS with one private key, one algorithm and one `kid`: the server's access
/// tokens, and test tokens.
public struct JWSSigner: Sendable {
    /// The algorithm put in every header.
    public let algorithm: JWSAlgorithm
    /// The `kid` put in every header, when set.
    public let keyID: String?
    private let key: PrivateKey
    /// Encoded headers for the common `typ` values with no extra members, made once.
    private let commonHeaders: [(type: String?, encoded: [UInt8])]

    /// Pairs a key with an algorithm; a key that does not fit it (an RSA key for ES256, P-384
    /// for ES256) throws ``JOSEError/Code/keyAlgorithmMismatch``.
    public init(key: PrivateKey, algorithm: JWSAlgorithm, keyID: String?) throws(JOSEError) {
        guard algorithm.fits(key.kind) else {
            throw .make(.keyAlgorithmMismatch, "a \(key.kind) key cannot sign \(algorithm)")
        }
        self.key = key
        self.algorithm = algorithm
        self.keyID = keyID
        self.commonHeaders = [nil, "JWT", "at+jwt"].map { type in
            (type, Self.encodedHeader(algorithm: algorithm, keyID: keyID, type: type, extra: JSONObject()) ?? [])
        }
    }

    /// `BASE64URL(UTF8(header))`, or `nil` if `extra` tries to set `alg`, `kid`, `typ`, `crit`
    /// or `b64` (a token with `b64` would not verify here: RFC 7797 is not supported).
    private static func encodedHeader(
        algorithm: JWSAlgorithm,
        keyID: String?,
        type: String?,
        extra: JSONObject
    ) -> [UInt8]? {
        var header: JSONObject = ["alg": .string(algorithm.rawValue)]
        if let keyID { header["kid"] = .string(keyID) }
        if let type { header["typ"] = .string(type) }
        for (name, value) in extra {
            guard header[name] == nil, name != "crit", name != "b64" else { return nil }
            header[name] = value
        }
        return Base64URL.encodeToBytes(JSONValue.object(header).serialized())
    }

    /// The public JWK of this signer's key, for the JWKS endpoint.
    public var publicJWK: JWK {
        JWK(publicKey: key.publicKey, keyID: keyID, use: "sig", algorithm: algorithm)
    }

    /// Signs `payload` with a header of `alg`, `kid`, `typ` (when given) and `extraHeader`
    /// members (which may not set `alg`, `kid`, `typ`, `crit` or `b64`), returning the compact
    /// form.
    public func sign(
        payload: [UInt8],
        type: String? = nil,
        extraHeader: JSONObject = JSONObject()
    ) throws(JOSEError) -> String {
        var output: [UInt8]
        if extraHeader.isEmpty, let common = commonHeaders.first(where: { $0.type == type }) {
            output = common.encoded
        } else {
            guard let encoded = Self.encodedHeader(algorithm: algorithm, keyID: keyID, type: type, extra: extraHeader)
            else {
                throw .make(.invalidHeader, "extra header members may not set alg, kid, typ, crit or b64")
            }
            output = encoded
        }
        output.reserveCapacity(output.count + (payload.count * 4 / 3) + 180)
        output.append(UInt8(ascii: "."))
        output.append(contentsOf: Base64URL.encodeToBytes(payload))
        let signature: [UInt8]
        do {
            signature = try key.sign(message: output, scheme: algorithm.scheme)
        } catch {
            throw JOSEError(.signingFailed, "signing failed", detail: error.debugDescription)
        }
        output.append(UInt8(ascii: "."))
        output.append(contentsOf: Base64URL.encodeToBytes(signature))
        return String(decoding: output, as: UTF8.self)
    }

    /// Signs a claims set as a JWT, with `typ` (`JWT` by default, `at+jwt` for RFC 9068 access
    /// tokens).
    public func sign(
        claims: JWTClaims,
        type: String? = "JWT",
        extraHeader: JSONObject = JSONObject()
    ) throws(JOSEError) -> String {
        try sign(payload: claims.serialized(), type: type, extraHeader: extraHeader)
    }
}
