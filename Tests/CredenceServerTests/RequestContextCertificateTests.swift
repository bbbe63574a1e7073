import CredenceCore
import CredenceServer
import Foundation
import OpenSSLCrypto
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

/// The responder parses client certificates through the process's shared cache; the web
/// server's verdict still decides whether the parameter counts at all.
@Suite struct RequestContextCertificateCacheTests {
    func context(verify: String?, certificate: String, cache: ClientCertificateCache) -> RequestContext {
        var parameters = ["REQUEST_METHOD": "POST", "REQUEST_URI": "/token", "SSL_CLIENT_CERT": certificate]
        if let verify { parameters["SSL_CLIENT_VERIFY"] = verify }
        return RequestContext(
            request: HTTPRequest(cgiParameters: parameters, body: []),
            now: Date(),
            certificates: cache
        )
    }

    @Test func requestsShareTheParsedCertificate() throws {
        let pem = RequestContextCertificateTests.pem
        #expect(!pem.isEmpty)
        let cache = ClientCertificateCache(capacity: 4)
        let first = context(verify: "SUCCESS", certificate: pem, cache: cache).clientCertificate
        let second = context(verify: "GENEROUS", certificate: pem, cache: cache).clientCertificate
        #expect(cache.count == 1)
        let expected = try Certificate(pemEncoded: pem).sha256Thumbprint
        #expect(first?.sha256Thumbprint == expected)
        #expect(second?.sha256Thumbprint == expected)
    }

    @Test(arguments: [nil, "NONE"] as [String?])
    func withoutAHandshakeVerdictNothingIsParsedOrCached(verify: String?) {
        let cache = ClientCertificateCache(capacity: 4)
        #expect(
            context(verify: verify, certificate: RequestContextCertificateTests.pem, cache: cache).clientCertificate
                == nil
        )
        #expect(cache.count == 0)
    }

    @Test func anUndecodableParameterKeepsItsError() {
        let cache = ClientCertificateCache(capacity: 4)
        let bad = context(verify: "SUCCESS", certificate: "%zz", cache: cache)
        #expect(bad.clientCertificate == nil)
        #expect(bad.clientCertificateError?.code == .invalidPercentEncoding)
        #expect(cache.count == 0)
    }
}
