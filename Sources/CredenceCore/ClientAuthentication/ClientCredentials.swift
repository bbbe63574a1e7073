/// What a request presented to authenticate its client, as the server read it from the
/// request: HTTP Basic, form parameters (RFC 6749 §2.3.1, RFC 7521 §4.2) and the TLS client
/// certificate the web server passed. Deciding whether it authenticates anyone is
/// ``ClientAuthenticator``'s job.
public struct ClientCredentials: Sendable {
    /// `Authorization: Basic` credentials, already form-decoded (RFC 6749 §2.3.1).
    public var basic: BasicCredentials?
    /// The `client_id` form parameter.
    public var clientID: String?
    /// The `client_secret` form parameter.
    public var clientSecret: String?
    /// The `client_assertion_type` form parameter.
    public var assertionType: String?
    /// The `client_assertion` form parameter.
    public var assertion: String?
    /// The TLS client certificate, when one was presented.
    public var certificate: PresentedClientCertificate?

    /// Credentials as read from a request.
    public init(
        basic: BasicCredentials? = nil,
        clientID: String? = nil,
        clientSecret: String? = nil,
        assertionType: String? = nil,
        assertion: String? = nil,
        certificate: PresentedClientCertificate? = nil
    ) {
        self.basic = basic
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.assertionType = assertionType
        self.assertion = assertion
        self.certificate = certificate
    }
}

/// A client id and secret from `Authorization: Basic`.
public struct BasicCredentials: Sendable {
    /// The client id.
    public var clientID: String
    /// The client secret.
    public var secret: String

    /// Creates the pair.
    public init(clientID: String, secret: String) {
        self.clientID = clientID
        self.secret = secret
    }
}

/// A client whose credentials were checked, and how.
public struct AuthenticatedClient: Sendable {
    /// The client.
    public let client: Client
    /// The method that authenticated it (always the registered one).
    public let method: ClientAuthenticationMethod
    /// The TLS client certificate of the request, if one was presented (whatever the
    /// method: a certificate-bound token binds to it).
    public let certificate: PresentedClientCertificate?
}
