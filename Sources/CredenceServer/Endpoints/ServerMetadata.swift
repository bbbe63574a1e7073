import CredenceCore
import CredenceJSON

/// The authorization server metadata document (RFC 8414 §2), served at both
/// `/.well-known/oauth-authorization-server` and
/// `/.well-known/openid-configuration` (Open Banking clients look there).
/// Every URL is built from the configured issuer, never from the request,
/// and only what this build actually implements is listed.
public struct ServerMetadata: Sendable {
    /// The document, built once at start.
    public let document: JSONValue

    /// Builds the document for a configuration.
    public init(configuration: CredenceConfiguration) {
        let issuer = configuration.issuer
        var object: JSONObject = [
            "issuer": .string(issuer.value),
            "jwks_uri": .string(issuer.endpoint(EndpointPath.jwks)),
            "token_endpoint": .string(issuer.endpoint(EndpointPath.token)),
            "introspection_endpoint": .string(issuer.endpoint(EndpointPath.introspection)),
            "revocation_endpoint": .string(issuer.endpoint(EndpointPath.revocation)),
            "registration_endpoint": .string(issuer.endpoint(EndpointPath.registration)),
            // RFC 8414 §2 makes this member REQUIRED; this server has no
            // authorization endpoint, so it supports no response type.
            "response_types_supported": .array([]),
            "grant_types_supported": JSONValue(["client_credentials"]),
        ]
        let methods = JSONValue(ClientAuthenticationMethod.allCases.map(\.rawValue))
        let algorithms = JSONValue(configuration.tokens.assertionSigningAlgorithms)
        object["token_endpoint_auth_methods_supported"] = methods
        object["token_endpoint_auth_signing_alg_values_supported"] = algorithms
        object["introspection_endpoint_auth_methods_supported"] = methods
        object["introspection_endpoint_auth_signing_alg_values_supported"] = algorithms
        object["revocation_endpoint_auth_methods_supported"] = methods
        object["revocation_endpoint_auth_signing_alg_values_supported"] = algorithms
        if !configuration.tokens.scopesSupported.isEmpty {
            object["scopes_supported"] = JSONValue(configuration.tokens.scopesSupported)
        }
        object["tls_client_certificate_bound_access_tokens"] = .bool(true)
        if let alias = configuration.mtls.aliasBaseURL {
            // RFC 8705 §5: the same endpoints on the host that asks for client certificates.
            object["mtls_endpoint_aliases"] = .object([
                "token_endpoint": .string(alias.endpoint(EndpointPath.token)),
                "introspection_endpoint": .string(alias.endpoint(EndpointPath.introspection)),
                "revocation_endpoint": .string(alias.endpoint(EndpointPath.revocation)),
                "registration_endpoint": .string(alias.endpoint(EndpointPath.registration)),
            ])
        }
        document = .object(object)
    }
}

/// The paths of the endpoints, relative to the base path, in one place so
/// routes and published URLs cannot disagree.
public enum EndpointPath {
    /// RFC 8414 metadata.
    public static let authorizationServerMetadata = "/.well-known/oauth-authorization-server"
    /// OpenID Connect Discovery location of the same document.
    public static let openIDConfiguration = "/.well-known/openid-configuration"
    /// The JWK set of the server's signing keys.
    public static let jwks = "/jwks"
    /// RFC 6749 §3.2 token endpoint.
    public static let token = "/token"
    /// RFC 7662 token introspection.
    public static let introspection = "/introspect"
    /// RFC 7009 token revocation.
    public static let revocation = "/revoke"
    /// RFC 7591 dynamic client registration.
    public static let registration = "/register"
    /// RFC 7592 client configuration endpoint (the `registration_client_uri` of a client).
    public static let registeredClient = "/register/{client_id}"
    /// Liveness and database reachability.
    public static let health = "/healthz"
}
