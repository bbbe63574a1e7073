/// What this server can serve, whatever an issuer's policy allows: a registration asking for
/// more is refused or narrowed (RFC 7591 §2: the server may reject or replace values it does
/// not support). Built from the configuration once.
public struct RegistrationCapabilities: Sendable, Hashable {
    /// Grant types the token endpoint serves (`client_credentials`).
    public var grantTypes: [String]
    /// Response types the server serves: none, as it has no authorization endpoint.
    public var responseTypes: [String]
    /// Client authentication methods the server can check (`tls_client_auth` only with a
    /// client CA trust store).
    public var authenticationMethods: [ClientAuthenticationMethod]
    /// `token_endpoint_auth_signing_alg` values: the server's assertion algorithms.
    public var assertionSigningAlgorithms: [String]
    /// `id_token_signed_response_alg` and `request_object_signing_alg` values (never `none`).
    public var objectSigningAlgorithms: [String]
    /// `application_type` values (OpenID Connect Registration §2).
    public var applicationTypes: [String]

    /// Creates the capabilities.
    public init(
        grantTypes: [String] = ClientMetadata.supportedGrantTypes,
        responseTypes: [String] = [],
        authenticationMethods: [ClientAuthenticationMethod] = ClientAuthenticationMethod.allCases,
        assertionSigningAlgorithms: [String] = ["PS256", "ES256"],
        objectSigningAlgorithms: [String] = ["PS256", "ES256"],
        applicationTypes: [String] = ["web", "native"]
    ) {
        self.grantTypes = grantTypes
        self.responseTypes = responseTypes
        self.authenticationMethods = authenticationMethods
        self.assertionSigningAlgorithms = assertionSigningAlgorithms
        self.objectSigningAlgorithms = objectSigningAlgorithms
        self.applicationTypes = applicationTypes
    }
}
