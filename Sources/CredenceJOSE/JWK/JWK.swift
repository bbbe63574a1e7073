public import CredenceJSON
public import OpenSSLCrypto

/// A public JSON Web Key (RFC 7517): an RSA, EC (P-256/384/521) or OKP (Ed25519) key with the
/// members that restrict its use (`kid`, `use`, `alg`, `key_ops`).
///
/// Only public keys exist here: parsing refuses any private member (RFC 7517 §9.2), so a JWK
/// value can be published, logged by kid, and stored without care.
public struct JWK: Sendable {
    /// The key itself, already checked against the key policy (RSA ≥ 2048 bits, JOSE curves).
    public let publicKey: PublicKey
    /// `kid` (RFC 7517 §4.5): how a JWS header names this key.
    public let keyID: String?
    /// `use` (RFC 7517 §4.2): `sig` or `enc`, or another value kept as written.
    public let use: String?
    /// `alg` (RFC 7517 §4.4) as written; it may name an algorithm this library does not
    /// implement (an encryption key's `RSA-OAEP-256`), and then the key signs nothing here.
    /// Without it, the key's type picks one family: see ``usableAlgorithms``.
    public let algorithm: String?
    /// `key_ops` (RFC 7517 §4.3) as written.
    public let keyOperations: [String]?
    /// `x5c` (RFC 7517 §4.7) as written: standard base64 DER certificates, leaf first. Never
    /// trusted by this type; chain verification belongs to the caller.
    public let certificateChain: [String]?

    /// Members that carry private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1;
    /// RFC 8037 §2): any of them makes a public-only JWK invalid.
    public static let privateMemberNames: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// A JWK for a key this process holds, to publish in a JWKS.
    public init(
        publicKey: PublicKey,
        keyID: String?,
        use: String? = "sig",
        algorithm: JWSAlgorithm? = nil,
        keyOperations: [String]? = nil
    ) {
        self.publicKey = publicKey
        self.keyID = keyID
        self.use = use
        self.algorithm = algorithm?.rawValue
        self.keyOperations = keyOperations
        self.certificateChain = nil
    }

    /// Parses one JWK from JSON text, with the strict JSON rules (no duplicate members).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JOSEError) -> JWK {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, limits: JSONLimits(maxBytes: 64 * 1024, maxDepth: 4))
        } catch {
            throw .json(error, in: "JWK")
        }
        guard case .object(let object) = value else { throw .make(.invalidKey, "a JWK must be a JSON object") }
        return try JWK(json: object)
    }

    /// Reads a JWK from a parsed JSON object; refuses private members, unknown key types and
    /// curves, non-canonical base64url, and keys the key policy refuses.
    public init(json object: JSONObject) throws(JOSEError) {
        for name in object.names where Self.privateMemberNames.contains(name) {
            throw .make(.privateKeyMaterial, "the JWK carries the private member \"\(name)\"")
        }
        let kty = try Self.string("kty", in: object, required: true) ?? ""
        let key: PublicKey
        do {
            switch kty {
            case "RSA":
                key = try PublicKey(
                    rsaModulus: try Self.bytes("n", in: object),
                    exponent: try Self.bytes("e", in: object)
                )
            case "EC":
                let curve: EllipticCurve
                switch try Self.string("crv", in: object, required: true) {
                case "P-256": curve = .p256
                case "P-384": curve = .p384
                case "P-521": curve = .p521
                default: throw JOSEError.make(.invalidKey, "EC curve not supported (P-256, P-384, P-521 only)")
                }
                key = try PublicKey(
                    curve: curve,
                    x: try Self.bytes("x", in: object),
                    y: try Self.bytes("y", in: object)
                )
            case "OKP":
                guard try Self.string("crv", in: object, required: true) == "Ed25519" else {
                    throw JOSEError.make(.invalidKey, "OKP curve not supported (Ed25519 only)")
                }
                key = try PublicKey(ed25519: try Self.bytes("x", in: object))
            default:
                throw JOSEError.make(.invalidKey, "key type \(JWSAlgorithm.printable(kty)) not supported")
            }
        } catch let error as JOSEError {
            throw error
        } catch let error as CryptoError {
            throw .key(error, "the JWK's key is refused")
        } catch {
            throw .make(.invalidKey, "the JWK's key is refused")
        }
        publicKey = key
        keyID = try Self.string("kid", in: object)
        use = try Self.string("use", in: object)
        algorithm = try Self.string("alg", in: object)
        keyOperations = try Self.strings("key_ops", in: object, unique: true)
        certificateChain = try Self.strings("x5c", in: object, unique: false)
    }

    /// The `x5c` certificates as DER, leaf first (RFC 7517 §4.7), or `nil` when absent; a
    /// member that is not strict padded base64 throws ``JOSEError/Code/invalidBase64``.
    /// Decoding proves nothing: the caller verifies the chain and matches its key to this one.
    public func certificateChainDER() throws(JOSEError) -> [[UInt8]]? {
        guard let certificateChain else { return nil }
        var chain: [[UInt8]] = []
        for certificate in certificateChain { chain.append(try Base64.decode(certificate)) }
        return chain
    }

    /// The algorithms this key may sign or verify with (before `use` and `key_ops`): RFC 8725
    /// §3.1 wants each key used with one algorithm, so that a signature made for one cannot be
    /// presented as another.
    ///
    /// - With `alg`: that algorithm alone, if this library implements it and it fits the key's
    ///   type, curve and size; otherwise none.
    /// - Without `alg`, one family per key type: an EC key its curve's algorithm (P-256 ES256,
    ///   P-384 ES384, P-521 ES512), an Ed25519 key EdDSA, and an RSA key the RSASSA-PSS family
    ///   only (PS256, PS384, PS512), never RSASSA-PKCS1-v1_5: PSS is what FAPI and the Open
    ///   Banking profiles sign with, and an RSA key meant for RS256, RS384 or RS512 must say
    ///   so in its `alg`.
    public var usableAlgorithms: Set<JWSAlgorithm> {
        let fitting = JWSAlgorithm.allCases.filter { $0.fits(publicKey.kind) }
        guard let declared = algorithm else {
            return Set(fitting.filter { $0.isUsableWithoutDeclaredAlgorithm })
        }
        return Set(fitting.filter { $0.rawValue.hasSameCodePoints(as: declared) })
    }

    /// Whether this key may verify or sign `algorithm`: it must be one of
    /// ``usableAlgorithms`` (the type and curve fit, the same `alg` or, without one, the key
    /// type's family), its `use` (if any) `sig`, its `key_ops` (if any) must include
    /// `operation` (RFC 7517 §4.2–4.4, RFC 8725 §3.1).
    public func check(_ algorithm: JWSAlgorithm, operation: String = "verify") throws(JOSEError) {
        guard algorithm.fits(publicKey.kind) else {
            throw .make(.keyAlgorithmMismatch, "a \(publicKey.kind) key cannot be used with \(algorithm)")
        }
        if let declared = self.algorithm {
            guard declared.hasSameCodePoints(as: algorithm.rawValue) else {
                throw .make(
                    .keyAlgorithmMismatch,
                    "the key is for \(JWSAlgorithm.printable(declared)), not \(algorithm)"
                )
            }
        } else if !algorithm.isUsableWithoutDeclaredAlgorithm {
            throw .make(
                .keyAlgorithmMismatch,
                "a key without \"alg\" is not used with \(algorithm): an RSA key is used for PS256, PS384 and PS512 only"
            )
        }
        if let use, !use.hasSameCodePoints(as: "sig") {
            throw .make(.keyAlgorithmMismatch, "the key's use is \(JWSAlgorithm.printable(use)), not sig")
        }
        if let keyOperations, !keyOperations.contains(where: { $0.hasSameCodePoints(as: operation) }) {
            throw .make(.keyAlgorithmMismatch, "the key's key_ops do not include \(operation)")
        }
    }

    /// The public JWK as a JSON object: `kty`, the key members, then `kid`, `use`, `alg`,
    /// `key_ops`, `x5c` when present. Never a private member.
    public var jsonObject: JSONObject {
        var object = requiredMembers
        if let keyID { object["kid"] = .string(keyID) }
        if let use { object["use"] = .string(use) }
        if let algorithm { object["alg"] = .string(algorithm) }
        if let keyOperations { object["key_ops"] = .array(keyOperations.map(JSONValue.string)) }
        if let certificateChain { object["x5c"] = .array(certificateChain.map(JSONValue.string)) }
        return object
    }

    /// The members RFC 7638 §3.2 hashes for a thumbprint (RFC 8037 §2 for OKP), in `kty`-first
    /// order; serialized with sorted names they give the canonical form.
    var requiredMembers: JSONObject {
        var object = JSONObject()
        switch publicKey.components {
        case .rsa(let modulus, let exponent):
            object["kty"] = "RSA"
            object["n"] = .string(Base64URL.encode(modulus))
            object["e"] = .string(Base64URL.encode(exponent))
        case .ec(let curve, let x, let y):
            object["kty"] = "EC"
            object["crv"] = .string(Self.curveName(curve))
            object["x"] = .string(Base64URL.encode(x))
            object["y"] = .string(Base64URL.encode(y))
        case .ed25519(let x):
            object["kty"] = "OKP"
            object["crv"] = "Ed25519"
            object["x"] = .string(Base64URL.encode(x))
        }
        return object
    }

    /// The RFC 7638 thumbprint: `digest` over the required members, sorted, without whitespace.
    public func thumbprint(digest: Digest = .sha256) -> [UInt8] {
        digest.hash(JSONValue.object(requiredMembers).serialized(sortedKeys: true))
    }

    /// The base64url SHA-256 thumbprint, as used for `kid` values and `jkt` (RFC 7638 §3.1).
    public func thumbprintBase64URL(digest: Digest = .sha256) -> String {
        Base64URL.encode(thumbprint(digest: digest))
    }

    static func curveName(_ curve: EllipticCurve) -> String {
        switch curve {
        case .p256: "P-256"
        case .p384: "P-384"
        case .p521: "P-521"
        }
    }

    // MARK: Member readers

    private static func string(
        _ name: String,
        in object: JSONObject,
        required: Bool = false
    ) throws(JOSEError) -> String? {
        guard let value = object[name] else {
            if required { throw .make(.invalidKey, "the JWK has no \"\(name)\"") }
            return nil
        }
        guard case .string(let text) = value else { throw .make(.invalidKey, "the JWK's \"\(name)\" is not a string") }
        return text
    }

    private static func bytes(_ name: String, in object: JSONObject) throws(JOSEError) -> [UInt8] {
        let text = try string(name, in: object, required: true) ?? ""
        do {
            return try Base64URL.decode(text)
        } catch {
            throw .make(.invalidKey, "the JWK's \"\(name)\" is not unpadded base64url")
        }
    }

    private static func strings(_ name: String, in object: JSONObject, unique: Bool) throws(JOSEError) -> [String]? {
        guard let value = object[name] else { return nil }
        guard case .array(let elements) = value else {
            throw .make(.invalidKey, "the JWK's \"\(name)\" is not an array")
        }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element else {
                throw .make(.invalidKey, "the JWK's \"\(name)\" holds a non-string")
            }
            if unique, result.contains(text) {
                throw .make(.invalidKey, "the JWK's \"\(name)\" repeats a value")
            }
            result.append(text)
        }
        return result
    }
}
