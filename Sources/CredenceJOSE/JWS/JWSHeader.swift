public import CredenceJSON

/// A JOSE header (RFC 7515 §4) that has passed the structural checks: a JSON object without
/// repeated members, a supported `alg`, string `kid`/`typ`/`cty`, a `crit` that names only
/// extensions the caller understands, and no `b64` (RFC 7797 unencoded payloads are not
/// supported, so the member is refused wherever it appears).
///
/// Reading the header before verification is allowed (it is how a key is chosen); it proves
/// nothing about the sender.
public struct JWSHeader: Sendable {
    /// Every member as received, in order.
    public let object: JSONObject
    /// `alg` (RFC 7515 §4.1.1).
    public let algorithm: JWSAlgorithm
    /// `kid` (RFC 7515 §4.1.4).
    public let keyID: String?
    /// `typ` (RFC 7515 §4.1.9), such as `JWT` or `at+jwt`.
    public let type: String?
    /// `cty` (RFC 7515 §4.1.10).
    public let contentType: String?
    /// `crit` (RFC 7515 §4.1.11): extensions the recipient must understand.
    public let critical: [String]

    /// Header names RFC 7515 §4.1 and RFC 7518 register, which `crit` must not list.
    static let registeredNames: Set<String> = [
        "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
    ]

    /// The `x5c` header (RFC 7515 §4.1.6) as DER certificates, leaf first, or `nil` when absent.
    /// Not a trust decision: the caller verifies the chain against its trust anchors and uses
    /// the leaf's key only if the chain and the policy for this token allow it.
    public func certificateChainDER() throws(JOSEError) -> [[UInt8]]? {
        guard let value = object["x5c"] else { return nil }
        guard case .array(let entries) = value, !entries.isEmpty else {
            throw .make(.invalidHeader, "\"x5c\" must be a non-empty array")
        }
        var chain: [[UInt8]] = []
        for entry in entries {
            guard case .string(let text) = entry else { throw .make(.invalidHeader, "\"x5c\" holds a non-string") }
            chain.append(try Base64.decode(text))
        }
        return chain
    }

    /// A header member by name, as received.
    public subscript(name: String) -> JSONValue? { object[name] }

    init(object: JSONObject, understoodCriticalHeaders: Set<String>) throws(JOSEError) {
        // One pass over the members. Swift's `==` on these lowercase ASCII names matches exactly
        // the same code points as JSON's comparison (no other string is canonically equivalent).
        var alg: String?
        var keyID: String?
        var type: String?
        var contentType: String?
        var crit: JSONValue?
        var hasB64 = false
        for (name, value) in object {
            switch name {
            case "alg": alg = try Self.string(value, name)
            case "kid": keyID = try Self.string(value, name)
            case "typ": type = try Self.string(value, name)
            case "cty": contentType = try Self.string(value, name)
            case "crit": crit = value
            case "b64": hasB64 = true
            default: break
            }
        }
        guard let alg else { throw .make(.invalidHeader, "the header has no \"alg\"") }
        self.object = object
        self.algorithm = try JWSAlgorithm(headerValue: alg)
        self.keyID = keyID
        self.type = type
        self.contentType = contentType
        guard let crit else {
            self.critical = []
            try Self.refuseB64(hasB64)
            return
        }
        // RFC 7515 §4.1.11: a non-empty array of names, none registered, each present, each
        // understood; anything else makes the JWS invalid.
        guard case .array(let entries) = crit, !entries.isEmpty else {
            throw .make(.invalidHeader, "\"crit\" must be a non-empty array")
        }
        var names: [String] = []
        // Names compare by code points, as the header's member names do (a `crit` entry that is
        // merely canonically equivalent to an understood name is not that name).
        for entry in entries {
            guard case .string(let name) = entry else { throw .make(.invalidHeader, "\"crit\" holds a non-string") }
            guard !names.contains(where: { $0.hasSameCodePoints(as: name) }) else {
                throw .make(.invalidHeader, "\"crit\" repeats a name")
            }
            guard !Self.registeredNames.contains(where: { $0.hasSameCodePoints(as: name) }) else {
                throw .make(.invalidHeader, "\"crit\" lists a registered header name")
            }
            guard understoodCriticalHeaders.contains(where: { $0.hasSameCodePoints(as: name) }) else {
                throw .make(
                    .unknownCriticalHeader,
                    "critical header extension \(JWSAlgorithm.printable(name)) is not understood"
                )
            }
            guard object[name] != nil else {
                throw .make(.invalidHeader, "\"crit\" lists a member the header does not have")
            }
            names.append(name)
        }
        self.critical = names
        try Self.refuseB64(hasB64)
    }

    /// RFC 7797 §3, §6: `b64: false` changes what is signed and must be listed in `crit`; a
    /// verifier that ignored it would check a different signing input than the signer meant.
    /// Not supported here, so any `b64` member is refused, with or without `crit`, `true` or
    /// `false` (after the `crit` checks, so an unknown critical `b64` still says so).
    private static func refuseB64(_ present: Bool) throws(JOSEError) {
        if present { throw .make(.invalidHeader, "the \"b64\" header (RFC 7797) is not supported") }
    }

    private static func string(_ value: JSONValue, _ name: String) throws(JOSEError) -> String {
        guard case .string(let text) = value else { throw .make(.invalidHeader, "header \"\(name)\" is not a string") }
        return text
    }
}
