public import CredenceJSON

/// One request to the registration endpoint or a client's management endpoint, as the HTTP
/// layer read it: the body, the bearer token and the client certificate.
public struct RegistrationRequest: Sendable {
    /// The body of a `POST` or `PUT`.
    public enum Body: Sendable {
        /// `application/json` client metadata, optionally with `software_statement`.
        case json(JSONObject)
        /// `application/jwt` or `application/jose`: an Open Banking UK signed request.
        case signed(String)
    }

    /// The body (`nil` for `GET` and `DELETE`).
    public var body: Body?
    /// The `Authorization: Bearer` credential; `nil` when none was sent.
    public var bearerToken: String?
    /// The TLS client certificate, checked against the client CA trust store.
    public var certificate: RegistrationCertificate

    /// Creates a request.
    public init(body: Body?, bearerToken: String?, certificate: RegistrationCertificate = .none) {
        self.body = body
        self.bearerToken = bearerToken
        self.certificate = certificate
    }
}
