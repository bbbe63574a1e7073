public import CredenceJSON

/// A JOSE header (RFC 7515 §4) that has passed the structural checks: a JSON object without
/// repeated members, a supported `alg`, string `kid`/`typ`/`cty`, and a `crit` that names only
/// extensions the caller understands.
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

    /// A header member by name, as received.
    public subscript(name: String) -> JSONValue? { object[name] }

    init(object: JSONObject, understoodCriticalHeaders: Set<String>) throws(JOSEError) {
        guard case .string(let alg)? = object["alg"] else {
            throw .make(.invalidHeader, "the header has no string \"alg\"")
        }
        self.object = object
        self.algorithm = try JWSAlgorithm(headerValue: alg)
        self.keyID = try Self.optionalString("kid", in: object)
        self.type = try Self.optionalString("typ", in: object)
        self.contentType = try Self.optionalString("cty", in: object)
        guard let crit = object["crit"] else {
            self.critical = []
            return
        }
        // RFC 7515 §4.1.11: a non-empty array of names, none registered, each present, each
        // understood; anything else makes the JWS invalid.
        guard case .array(let entries) = crit, !entries.isEmpty else {
            throw .make(.invalidHeader, "\"crit\" must be a non-empty array")
        }
        var names: [String] = []
        for entry in entries {
            guard case .string(let name) = entry else { throw .make(.invalidHeader, "\"crit\" holds a non-string") }
            guard !names.contains(name) else { throw .make(.invalidHeader, "\"crit\" repeats a name") }
            guard !Self.registeredNames.contains(name) else {
                throw .make(.invalidHeader, "\"crit\" lists a registered header name")
            }
            guard understoodCriticalHeaders.contains(name) else {
                throw .make(.unknownCriticalHeader, "critical header extension \(JWSAlgorithm.printable(name)) is not understood")
            }
            guard object[name] != nil else {
                throw .make(.invalidHeader, "\"crit\" lists a member the header does not have")
            }
            names.append(name)
        }
        self.critical = names
    }

    private static func optionalString(_ name: String, in object: JSONObject) throws(JOSEError) -> String? {
        guard let value = object[name] else { return nil }
        guard case .string(let text) = value else { throw .make(.invalidHeader, "header \"\(name)\" is not a string") }
        return text
    }
}
