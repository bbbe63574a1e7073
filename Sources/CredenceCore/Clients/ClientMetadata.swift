public import CredenceJSON

/// The registered metadata of a client (RFC 7591 §2) as a typed view over the JSON the
/// client sees in its registration response. The JSON is the one source of truth, stored
/// as it is; the typed members are what the token endpoint decides with. Members Credence
/// does not interpret (`client_name`, `redirect_uris`, `software_id`, …) stay in ``json``
/// untouched, so a registration echoes everything it was given (RFC 7591 §3.2.1).
public struct ClientMetadata: Sendable, Hashable {
    /// `token_endpoint_auth_method`.
    public private(set) var authenticationMethod: ClientAuthenticationMethod
    /// `scope`, split on spaces: the scopes the client may ask for.
    public private(set) var scopes: [String]
    /// `grant_types` (default `client_credentials` for Credence's clients).
    public private(set) var grantTypes: [String]
    /// `jwks`: the client's keys inline, as registered.
    public private(set) var jwks: JSONObject?
    /// `jwks_uri`: where the client's keys are fetched.
    public private(set) var jwksURI: String?
    /// `tls_client_auth_subject_dn` (RFC 8705 §2.1.2), in RFC 4514 order.
    public private(set) var subjectDN: String?
    /// One of the `tls_client_auth_san_*` members (RFC 8705 §2.1.2).
    public private(set) var subjectAlternativeName: CertificateSubjectName?
    /// `tls_client_certificate_bound_access_tokens` (RFC 8705 §3.4).
    public private(set) var certificateBoundAccessTokens: Bool
    /// `token_endpoint_auth_signing_alg` (RFC 7591 §2): the one algorithm the client's
    /// assertions may use; `nil` means any of the server's allowed algorithms.
    public private(set) var tokenEndpointAuthSigningAlgorithm: String?
    /// Every registered member, as the client sees it.
    public private(set) var json: JSONObject

    /// The grant types Credence issues tokens for.
    public static let supportedGrantTypes = ["client_credentials"]

    /// Reads and checks metadata: types of the members Credence interprets, one credential
    /// kind per method (a secret method needs nothing here, `private_key_jwt` and
    /// `self_signed_tls_client_auth` need `jwks` or `jwks_uri` but not both,
    /// `tls_client_auth` needs a subject DN or exactly one SAN). Throws
    /// `invalid_client_metadata` naming the member.
    public init(json: JSONObject) throws(OAuthError) {
        self.json = json
        guard let methodName = json["token_endpoint_auth_method"]?.stringValue else {
            throw .invalidClientMetadata("token_endpoint_auth_method is required")
        }
        guard let method = ClientAuthenticationMethod(rawValue: methodName) else {
            throw .invalidClientMetadata(
                "token_endpoint_auth_method must be one of \(ClientAuthenticationMethod.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        authenticationMethod = method

        scopes = []
        if let value = json["scope"] {
            guard let text = value.stringValue else { throw .invalidClientMetadata("scope must be a string") }
            scopes = try Scope.parse(text, member: "scope")
        }

        grantTypes = ["client_credentials"]
        if let value = json["grant_types"] {
            guard let names = value.stringArrayValue, !names.isEmpty else {
                throw .invalidClientMetadata("grant_types must be a non-empty array of strings")
            }
            grantTypes = names
        }

        if let value = json["jwks"] {
            guard let object = value.objectValue, object["keys"]?.arrayValue != nil else {
                throw .invalidClientMetadata("jwks must be a JWK set object with a keys array")
            }
            jwks = object
        }
        if let value = json["jwks_uri"] {
            guard let text = value.stringValue, !text.isEmpty else {
                throw .invalidClientMetadata("jwks_uri must be a string")
            }
            jwksURI = text
        }
        if jwks != nil && jwksURI != nil {
            throw .invalidClientMetadata("jwks and jwks_uri must not both be present (RFC 7591 §2)")
        }

        if let value = json["tls_client_auth_subject_dn"] {
            guard let text = value.stringValue, !text.isEmpty else {
                throw .invalidClientMetadata("tls_client_auth_subject_dn must be a non-empty string")
            }
            subjectDN = text
        }
        var names: [CertificateSubjectName] = []
        for name in CertificateSubjectName.metadataNames {
            guard let value = json[name] else { continue }
            guard let text = value.stringValue, !text.isEmpty else {
                throw .invalidClientMetadata("\(name) must be a non-empty string")
            }
            names.append(CertificateSubjectName(metadataName: name, value: text)!)
        }
        if names.count > 1 || (subjectDN != nil && !names.isEmpty) {
            throw .invalidClientMetadata(
                "register one of tls_client_auth_subject_dn and the tls_client_auth_san_* members (RFC 8705 §2.1.2)"
            )
        }
        subjectAlternativeName = names.first

        certificateBoundAccessTokens = false
        if let value = json["tls_client_certificate_bound_access_tokens"] {
            guard let flag = value.boolValue else {
                throw .invalidClientMetadata("tls_client_certificate_bound_access_tokens must be a boolean")
            }
            certificateBoundAccessTokens = flag
        }

        if let value = json["token_endpoint_auth_signing_alg"] {
            guard let text = value.stringValue, !text.isEmpty else {
                throw .invalidClientMetadata("token_endpoint_auth_signing_alg must be a string")
            }
            tokenEndpointAuthSigningAlgorithm = text
        }

        switch method {
        case .privateKeyJWT, .selfSignedTLSClientAuth:
            guard jwks != nil || jwksURI != nil else {
                throw .invalidClientMetadata("\(method) needs jwks or jwks_uri")
            }
        case .tlsClientAuth:
            guard subjectDN != nil || subjectAlternativeName != nil else {
                throw .invalidClientMetadata(
                    "tls_client_auth needs tls_client_auth_subject_dn or one tls_client_auth_san_* member"
                )
            }
        case .clientSecretBasic, .clientSecretPost:
            break
        }
    }
}

/// Scope values (RFC 6749 §3.3): space-delimited, case-sensitive strings of
/// `%x21 / %x23-5B / %x5D-7E`, compared by their bytes.
public enum Scope {
    /// Splits a scope parameter. RFC 6749 §3.3 separates tokens by single spaces, so empty
    /// tokens (leading, trailing or doubled spaces) and characters outside the scope-token
    /// set are refused; duplicates are dropped.
    public static func parse(_ text: String, member: String = "scope") throws(OAuthError) -> [String] {
        var result: [String] = []
        for token in text.utf8.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false) {
            guard !token.isEmpty, token.allSatisfy(isScopeCharacter) else {
                throw .invalidClientMetadata(
                    "\(member) must be scope tokens separated by single spaces (RFC 6749 §3.3)"
                )
            }
            let scope = String(decoding: token, as: UTF8.self)
            if !result.contains(where: { $0.utf8.elementsEqual(scope.utf8) }) { result.append(scope) }
        }
        return result
    }

    /// Whether `scope` is in `scopes`, comparing bytes (not Unicode equivalence).
    public static func contains(_ scopes: [String], _ scope: String) -> Bool {
        scopes.contains { $0.utf8.elementsEqual(scope.utf8) }
    }

    static func isScopeCharacter(_ byte: UInt8) -> Bool {
        byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
    }
}
