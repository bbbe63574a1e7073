public import CredenceJSON

/// A JWK Set (RFC 7517 §5): the keys of a client, a software issuer or this server.
///
/// Keys are found by `kid` and algorithm only. There is no default key and no "try each key":
/// a token that names no `kid`, or a `kid` that is absent or fits more than one key, is refused
/// with its own error code.
public struct JWKSet: Sendable {
    /// The usable keys, in the order of the document.
    public let keys: [JWK]
    /// Entries that were well-formed JSON objects but not usable keys (an unsupported `kty` or
    /// curve, an RSA key under 2048 bits, ...), kept so a lookup of their `kid` says why.
    public let skipped: [SkippedKey]

    /// A key the set could not use, and why.
    public struct SkippedKey: Sendable {
        /// The entry's `kid`, if it had a string one.
        public let keyID: String?
        /// Why the entry was not usable.
        public let error: JOSEError
    }

    /// A set of keys this process built (its own signing keys, for the JWKS endpoint).
    public init(keys: [JWK]) {
        self.keys = keys
        self.skipped = []
    }

    /// Parses a JWK Set from JSON text (strict JSON, at most `maxBytes`).
    ///
    /// The whole set is refused if it is not `{"keys": [objects...]}` or if any entry carries
    /// private key material; entries that are merely unusable are kept in ``skipped``.
    public static func parse(_ bytes: some Collection<UInt8>, maxBytes: Int = 256 * 1024) throws(JOSEError) -> JWKSet {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, limits: JSONLimits(maxBytes: maxBytes, maxDepth: 5))
        } catch {
            throw .json(error, in: "JWK Set")
        }
        guard case .object(let object) = value else { throw .make(.invalidKey, "a JWK Set must be a JSON object") }
        return try JWKSet(json: object)
    }

    /// Reads a JWK Set from a parsed object (RFC 7517 §5: a `keys` array of JWK objects).
    public init(json object: JSONObject) throws(JOSEError) {
        guard case .array(let entries)? = object["keys"] else {
            throw .make(.invalidKey, "a JWK Set needs a \"keys\" array")
        }
        var keys: [JWK] = []
        var skipped: [SkippedKey] = []
        for entry in entries {
            guard case .object(let member) = entry else { throw .make(.invalidKey, "a JWK Set entry is not an object") }
            do {
                keys.append(try JWK(json: member))
            } catch  where error.code == .privateKeyMaterial {
                throw error
            } catch {
                let keyID: String? = if case .string(let kid)? = member["kid"] { kid } else { nil }
                skipped.append(SkippedKey(keyID: keyID, error: error))
            }
        }
        self.keys = keys
        self.skipped = skipped
    }

    /// The key whose `kid` is `keyID`, code point for code point (a `kid` of U+212A KELVIN SIGN
    /// does not name the key "K"), and that may verify `algorithm`.
    ///
    /// - `keyID == nil`: ``JOSEError/Code/keyNotFound`` (no default key).
    /// - No entry with this `kid`: ``JOSEError/Code/keyNotFound``; only unusable entries:
    ///   their reason.
    /// - Entries with this `kid` but none fit `algorithm`: ``JOSEError/Code/keyAlgorithmMismatch``.
    /// - More than one fits: ``JOSEError/Code/ambiguousKey``.
    public func key(forKID keyID: String?, algorithm: JWSAlgorithm) throws(JOSEError) -> JWK {
        guard let keyID else {
            throw .make(.keyNotFound, "the token names no kid, and keys are only chosen by kid")
        }
        let named = keys.filter { $0.keyID?.hasSameCodePoints(as: keyID) ?? false }
        if named.isEmpty {
            if let unusable = skipped.first(where: { $0.keyID?.hasSameCodePoints(as: keyID) ?? false }) {
                throw .make(unusable.error.code, "the key with this kid is not usable: \(unusable.error.reason)")
            }
            throw .make(.keyNotFound, "no key in the set has the token's kid")
        }
        var fitting: [JWK] = []
        var lastError: JOSEError?
        for candidate in named {
            do {
                try candidate.check(algorithm)
                fitting.append(candidate)
            } catch {
                lastError = error
            }
        }
        if fitting.count > 1 {
            throw .make(.ambiguousKey, "\(fitting.count) keys in the set have the token's kid and fit \(algorithm)")
        }
        if let only = fitting.first {
            if skipped.contains(where: { $0.keyID?.hasSameCodePoints(as: keyID) ?? false }) {
                throw .make(.ambiguousKey, "the token's kid also names an unusable key in the set")
            }
            return only
        }
        throw lastError ?? .make(.keyAlgorithmMismatch, "no key with the token's kid fits \(algorithm)")
    }

    /// The set's only key, for an issuer that is configured to sign without `kid`: succeeds only
    /// when the set holds exactly one entry in all, and that key fits `algorithm`.
    public func soleKey(algorithm: JWSAlgorithm) throws(JOSEError) -> JWK {
        guard keys.count + skipped.count == 1, let only = keys.first else {
            throw .make(
                .ambiguousKey,
                "the set holds \(keys.count + skipped.count) entries, not exactly one usable key"
            )
        }
        try only.check(algorithm)
        return only
    }

    /// `{"keys": [...]}` with every key's public members, for a `jwks_uri` document.
    public var jsonObject: JSONObject {
        ["keys": .array(keys.map { .object($0.jsonObject) })]
    }
}
