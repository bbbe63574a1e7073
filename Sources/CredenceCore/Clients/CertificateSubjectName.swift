/// The one subjectAltName a `tls_client_auth` client may register instead of a subject DN
/// (RFC 8705 §2.1.2: `tls_client_auth_san_dns`, `_san_uri`, `_san_ip`, `_san_email`).
public enum CertificateSubjectName: Sendable, Hashable {
    /// `tls_client_auth_san_dns`: a dNSName, compared case-insensitively (RFC 4343).
    case dns(String)
    /// `tls_client_auth_san_uri`: a uniformResourceIdentifier, compared exactly.
    case uri(String)
    /// `tls_client_auth_san_ip`: an iPAddress, compared in canonical form.
    case ip(String)
    /// `tls_client_auth_san_email`: an rfc822Name, compared exactly.
    case email(String)

    /// The registration metadata name of this kind.
    public var metadataName: String {
        switch self {
        case .dns: "tls_client_auth_san_dns"
        case .uri: "tls_client_auth_san_uri"
        case .ip: "tls_client_auth_san_ip"
        case .email: "tls_client_auth_san_email"
        }
    }

    /// The registered value.
    public var value: String {
        switch self {
        case .dns(let value), .uri(let value), .ip(let value), .email(let value): value
        }
    }

    /// The four metadata names, in the order they are looked for.
    public static let metadataNames = [
        "tls_client_auth_san_dns", "tls_client_auth_san_uri", "tls_client_auth_san_ip", "tls_client_auth_san_email",
    ]

    /// The value for a metadata name, `nil` for another name.
    public init?(metadataName: String, value: String) {
        switch metadataName {
        case "tls_client_auth_san_dns": self = .dns(value)
        case "tls_client_auth_san_uri": self = .uri(value)
        case "tls_client_auth_san_ip": self = .ip(value)
        case "tls_client_auth_san_email": self = .email(value)
        default: return nil
        }
    }
}
