/// The client certificate exactly as the web server passed it in FastCGI
/// parameters: nginx's URL-encoded PEM (`$ssl_client_escaped_cert`) or
/// Apache's PEM (`+ExportCertData`), and the web server's own verification
/// verdict. Decoding into an X.509 certificate happens where it is used.
public struct ClientCertificateParameter: Sendable, Hashable {
    /// The `SSL_CLIENT_CERT` value as received (nginx: URL-encoded PEM; Apache: PEM).
    public var encoded: String
    /// The `SSL_CLIENT_VERIFY` value (`SUCCESS`, `NONE`, `FAILED:reason`, or
    /// nginx's and Apache's `GENEROUS` for `optional_no_ca`), if sent.
    public var webServerVerification: String?

    /// Creates the value when a certificate was actually presented; `nil` for
    /// absent or empty parameters (a web server sends an empty value when the
    /// client presented none).
    public init?(certificate: String?, verify: String?) {
        guard let certificate, !certificate.isEmpty else { return nil }
        self.encoded = certificate
        self.webServerVerification = verify.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the web server says a certificate took part in the handshake: `SUCCESS`,
    /// `GENEROUS` or `FAILED:…` (with `optional_no_ca` a certificate that chains to no
    /// configured CA reads `FAILED:…` and the handshake still proved its key). `NONE` or
    /// no verdict at all means the value cannot be trusted to come from the handshake.
    public var certificateWasPresented: Bool {
        guard let verdict = webServerVerification else { return false }
        return verdict == "SUCCESS" || verdict == "GENEROUS" || verdict.hasPrefix("FAILED:")
    }
}
