import CredenceJSON
public import OpenSSLCrypto

/// A compact JWS (RFC 7515 §7.1) that has been parsed but NOT verified.
///
/// The name is the warning: its header may be read to choose a key set (an `iss` peek goes
/// through ``unverifiedClaims()``), but nothing in it is trustworthy until one of the `verify`
/// methods returns a ``VerifiedJWS``.
public struct UnverifiedJWS: Sendable {
    /// The parsed, structurally checked header.
    public let header: JWSHeader
    let signingInput: [UInt8]
    let payload: [UInt8]
    let signature: [UInt8]
    let options: JWSParseOptions

    /// Parses a compact serialization: exactly three base64url parts, a header that is a JSON
    /// object with a supported `alg` and no unknown `crit`, and a signature.
    public init(compact: String, options: JWSParseOptions = .default) throws(JOSEError) {
        var text = compact
        self = try text.withUTF8 { bytes in
            Result { () throws(JOSEError) in try UnverifiedJWS(bytes: bytes, options: options) }
        }.get()
    }

    /// Parses a compact serialization given as bytes (an `application/jwt` body).
    public init(compact bytes: [UInt8], options: JWSParseOptions = .default) throws(JOSEError) {
        self = try bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(JOSEError) in try UnverifiedJWS(bytes: buffer, options: options) }
        }.get()
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, options: JWSParseOptions) throws(JOSEError) {
        guard bytes.count <= options.maxLength else {
            throw .make(.tooLarge, "the JWS is longer than \(options.maxLength) bytes")
        }
        // One pass over the bytes for the two separators (a third is refused), eight bytes at a
        // time: most of a token has no dot, and this scan is a visible part of parsing.
        let dot = UInt8(ascii: ".")
        var first = -1
        var second = -1
        var dots = 0
        func note(_ index: Int) {
            if dots == 0 { first = index } else if dots == 1 { second = index }
            dots += 1
        }
        var index = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= bytes.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ 0x2E2E_2E2E_2E2E_2E2E
                // Non-zero iff some byte of `word` is zero, i.e. some byte of the input is a dot.
                if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0 {
                    for offset in index..<(index + 8) where bytes[offset] == dot { note(offset) }
                }
                index += 8
            }
        }
        while index < bytes.count {
            if bytes[index] == dot { note(index) }
            index += 1
        }
        guard dots <= 2 else {
            throw .make(
                .malformedJWS,
                "a compact JWS has exactly three parts (a JWE or JSON serialization is not accepted)"
            )
        }
        guard second > 0 else {
            throw .make(.malformedJWS, "a compact JWS has three parts separated by dots")
        }
        guard first > 0, second > first + 1, second + 1 < bytes.count else {
            throw .make(.malformedJWS, "a compact JWS part is empty")
        }
        let headerBytes = try Base64URL.decode(bytes: bytes[..<first])
        let limits = JSONLimits(maxBytes: options.maxLength, maxDepth: options.maxJSONDepth)
        let headerValue: JSONValue
        do {
            headerValue = try JSONValue.parse(headerBytes, limits: limits)
        } catch {
            throw .json(error, in: "header")
        }
        guard case .object(let headerObject) = headerValue else {
            throw .make(.invalidHeader, "the JOSE header is not a JSON object")
        }
        self.header = try JWSHeader(object: headerObject, understoodCriticalHeaders: options.understoodCriticalHeaders)
        self.payload = try Base64URL.decode(bytes: bytes[(first + 1)..<second])
        self.signature = try Base64URL.decode(bytes: bytes[(second + 1)...])
        self.signingInput = Array(bytes[..<second])
        self.options = options
    }

    /// The payload bytes, unverified: use only to decide which key set to verify with.
    public var unverifiedPayload: [UInt8] { payload }

    /// The payload as JWT claims, unverified: for reading `iss` to choose the issuer's keys,
    /// never for a decision.
    public func unverifiedClaims() throws(JOSEError) -> JWTClaims {
        try JWTClaims(payload: payload, maxDepth: options.maxJSONDepth)
    }

    /// Verifies with one public key: `alg` must be in `allowedAlgorithms` and fit the key.
    public func verify(using key: PublicKey, allowedAlgorithms: Set<JWSAlgorithm>) throws(JOSEError) -> VerifiedJWS {
        try checkAllowed(allowedAlgorithms)
        try checkSignature(key)
        return VerifiedJWS(header: header, payload: payload, keyID: header.keyID, maxJSONDepth: options.maxJSONDepth)
    }

    /// Verifies with one JWK, whose `alg`, `use` and `key_ops` must also permit the algorithm.
    public func verify(using key: JWK, allowedAlgorithms: Set<JWSAlgorithm>) throws(JOSEError) -> VerifiedJWS {
        try checkAllowed(allowedAlgorithms)
        try key.check(header.algorithm)
        try checkSignature(key.publicKey)
        return VerifiedJWS(header: header, payload: payload, keyID: key.keyID, maxJSONDepth: options.maxJSONDepth)
    }

    /// Verifies with the key of `keySet` that the header's `kid` names (see
    /// ``JWKSet/key(forKID:algorithm:)``): never a default key, never each key in turn.
    public func verify(using keySet: JWKSet, allowedAlgorithms: Set<JWSAlgorithm>) throws(JOSEError) -> VerifiedJWS {
        try checkAllowed(allowedAlgorithms)
        let key = try keySet.key(forKID: header.keyID, algorithm: header.algorithm)
        return try verify(using: key, allowedAlgorithms: allowedAlgorithms)
    }

    private func checkSignature(_ key: PublicKey) throws(JOSEError) {
        guard header.algorithm.fits(key.kind) else {
            throw .make(.keyAlgorithmMismatch, "a \(key.kind) key cannot verify \(header.algorithm)")
        }
        guard key.verify(signature: signature, message: signingInput, scheme: header.algorithm.scheme) else {
            throw .make(.invalidSignature, "the signature does not verify")
        }
    }

    func checkAllowed(_ allowed: Set<JWSAlgorithm>) throws(JOSEError) {
        guard allowed.contains(header.algorithm) else {
            throw .make(.algorithmNotAllowed, "algorithm \(header.algorithm) is not allowed here")
        }
    }
}
