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
        let object: JSONObject = [
            "issuer": .string(issuer.value),
            "jwks_uri": .string(issuer.endpoint(EndpointPath.jwks)),
            // RFC 8414 §2 makes this member REQUIRED; this server has no
            // authorization endpoint, so it supports no response type.
            "response_types_supported": .array([]),
        ]
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
    /// Liveness and database reachability.
    public static let health = "/healthz"
}
