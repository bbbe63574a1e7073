import CredenceServer
import Foundation
import Testing

/// Issue 6 item 2: the certificate parameter counts only when the web server's own verdict
/// says a certificate took part in the handshake.
@Suite struct RequestContextCertificateTests {
    static let pem: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../OpenSSLCryptoTests/Fixtures/x509/leaf-client.pem").standardized
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    func context(verify: String?) -> RequestContext {
        var parameters = ["REQUEST_METHOD": "POST", "REQUEST_URI": "/token", "SSL_CLIENT_CERT": Self.pem]
        if let verify { parameters["SSL_CLIENT_VERIFY"] = verify }
        return RequestContext(request: HTTPRequest(cgiParameters: parameters, body: []), now: Date())
    }

    @Test(arguments: ["SUCCESS", "GENEROUS", "FAILED:unable to verify the first certificate"])
    func aHandshakeVerdictMakesTheCertificatePresented(verify: String) {
        #expect(!Self.pem.isEmpty)
        #expect(context(verify: verify).clientCertificate != nil)
    }

    @Test(arguments: [nil, "NONE", "", "success", "OK"] as [String?])
    func withoutAHandshakeVerdictTheParameterIsIgnored(verify: String?) {
        #expect(!Self.pem.isEmpty)
        #expect(context(verify: verify).clientCertificate == nil)
    }
}
