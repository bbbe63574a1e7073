public import CredenceCore
import Foundation
import OpenSSLCrypto

/// What an endpoint handler gets for one request: the request, the values of
/// path parameters, the instant the request is judged at, and a place to note
/// facts for the access log (the client id once it is known).
public final class RequestContext {
    /// The request being answered.
    public let request: HTTPRequest
    /// Values of `{name}` path segments, percent-decoded.
    public let pathParameters: [String: String]
    /// The instant every time rule of this request is checked against.
    public let now: Date
    /// The authenticated or addressed client, for the access log.
    public var clientID: String?

    /// The client certificate the web server passed, decoded once on first
    /// use; `nil` when none was presented, when the web server's own verdict
    /// (`SSL_CLIENT_VERIFY`) says no certificate completed the handshake
    /// (`NONE` or absent), or when the parameter is not exactly one
    /// well-formed certificate (`clientCertificateError` then says why).
    /// Nobody has checked who issued it: its subject is reachable only
    /// through ``PresentedClientCertificate/verified(by:at:)``. Parsed through the
    /// process's ``ClientCertificateCache`` when the context has one.
    public private(set) lazy var clientCertificate: PresentedClientCertificate? = {
        guard let parameter = request.clientCertificate, parameter.certificateWasPresented else { return nil }
        do {
            if let certificates {
                return try certificates.certificate(webServerParameter: parameter.encoded)
            }
            return PresentedClientCertificate(certificate: try Certificate(webServerParameter: parameter.encoded))
        } catch {
            clientCertificateError = error as? CertificateError
            return nil
        }
    }()

    /// Why a presented certificate parameter could not be decoded, if it could not.
    public private(set) var clientCertificateError: CertificateError?

    /// Parsed client certificates shared by every worker; nil parses each request's anew.
    private let certificates: ClientCertificateCache?

    /// Creates a context; the responder does this for each request.
    public init(
        request: HTTPRequest,
        pathParameters: [String: String] = [:],
        now: Date,
        certificates: ClientCertificateCache? = nil
    ) {
        self.request = request
        self.pathParameters = pathParameters
        self.now = now
        self.certificates = certificates
    }
}
