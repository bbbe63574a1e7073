import CredenceJSON

/// `jwks` XOR `jwks_uri` (RFC 7591 §2): never both; `jwks` a JWK set of public keys only (a
/// private member is refused: the client would have disclosed its key), `jwks_uri` an
/// absolute `https` URI; `private_key_jwt` and `self_signed_tls_client_auth` need one of them.
public struct ClientKeysRule: RegistrationRule {
    public let name = "jwks"
    /// JWK members that only a private or symmetric key has (RFC 7518 §6).
    static let privateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// Creates the rule.
    public init() {}

    public func apply(to draft: inout RegistrationDraft) throws(RegistrationRefusal) {
        let jwks = draft.metadata["jwks"]
        let jwksURI = draft.metadata["jwks_uri"]
        if jwks != nil && jwksURI != nil {
            throw .metadata(name, "jwks and jwks_uri must not both be present (RFC 7591 §2)")
        }
        if let jwks {
            guard let keys = jwks.objectValue?["keys"]?.arrayValue else {
                throw .metadata(name, "jwks must be a JWK set: an object with a keys array (RFC 7517 §5)")
            }
            for key in keys {
                guard let object = key.objectValue, object["kty"]?.stringValue != nil else {
                    throw .metadata(name, "jwks: every key must be a JWK object with kty")
                }
                if let member = Self.privateMembers.first(where: { object[$0] != nil }) {
                    throw .metadata(name, "jwks: keys must be public; a key carries the private member \(member)")
                }
            }
        }
        if let jwksURI {
            guard let text = jwksURI.stringValue else { throw .metadata(name, "jwks_uri must be a string") }
            if let problem = HTTPSURI.problem(text) { throw .metadata(name, "jwks_uri \(problem)") }
        }
        if let method = draft.authenticationMethod, method.usesClientKeys, jwks == nil, jwksURI == nil {
            throw .metadata(name, "\(method.rawValue) needs jwks or jwks_uri")
        }
    }
}
