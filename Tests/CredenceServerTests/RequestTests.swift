import CredenceServer
import Testing

@Suite struct HTTPRequestTests {
    @Test func cgiParametersBecomeARequest() {
        let request = HTTPRequest(
            cgiParameters: [
                "REQUEST_METHOD": "POST", "REQUEST_URI": "/oauth/token?x=1", "QUERY_STRING": "x=1",
                "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": "3",
                "HTTP_AUTHORIZATION": "Basic YTpi", "HTTP_X_FORWARDED_FOR": "1.2.3.4", "REMOTE_ADDR": "10.0.0.1",
                "SSL_CLIENT_CERT": "-----BEGIN%20CERTIFICATE-----", "SSL_CLIENT_VERIFY": "GENEROUS",
            ],
            body: Array("a=b".utf8)
        )
        #expect(request.method == "POST")
        #expect(request.path == "/oauth/token")
        #expect(request.query == "x=1")
        #expect(request.header("Authorization") == "Basic YTpi")
        #expect(request.header("x-forwarded-for") == "1.2.3.4")
        #expect(request.mediaType == "application/x-www-form-urlencoded")
        #expect(request.authorizationScheme == "Basic")
        #expect(request.clientCertificate?.encoded == "-----BEGIN%20CERTIFICATE-----")
        #expect(request.clientCertificate?.webServerVerification == "GENEROUS")
        #expect(request.remoteAddress == "10.0.0.1")
        #expect(request.body == Array("a=b".utf8))
    }

    @Test(arguments: [
        ("HTTP_USER_AGENT", "user-agent"), ("HTTP_X_FORWARDED_FOR", "x-forwarded-for"), ("HTTP_DPOP", "dpop"),
        ("HTTP_X_A1_B", "x-a1-b"), ("HTTP_X_NAMÉ_Ü", "x-namé-ü"), ("HTTP_", ""),
    ])
    func cgiHeaderNamesBecomeLowerCaseWithDashes(parameter: String, header: String) {
        let request = HTTPRequest(cgiParameters: ["REQUEST_METHOD": "GET", parameter: "v"], body: [])
        #expect(request.headers == [header: "v"])
    }

    @Test func aCertificateHeaderIsNotACertificate() {
        // A client can send `SSL-Client-Cert:`; it arrives as HTTP_SSL_CLIENT_CERT and must be ignored.
        let request = HTTPRequest(
            cgiParameters: [
                "REQUEST_METHOD": "GET", "REQUEST_URI": "/jwks", "HTTP_SSL_CLIENT_CERT": "forged",
                "SSL_CLIENT_CERT": "",
            ],
            body: []
        )
        #expect(request.clientCertificate == nil)
        #expect(request.header("ssl-client-cert") == "forged")
    }

    @Test(
        arguments: [
            ("Bearer abc", "Bearer"), ("bearer abc", "Bearer"), ("Basic x", "Basic"), ("secret-token", "other"),
            ("", nil),
        ] as [(String, String?)]
    )
    func authorizationSchemeNeverLeaksTheCredential(header: String, scheme: String?) {
        let request = HTTPRequest(method: "GET", path: "/", headers: ["authorization": header])
        #expect(request.authorizationScheme == scheme)
    }

    @Test func mediaTypeIgnoresParametersAndCase() {
        let request = HTTPRequest(
            method: "POST",
            path: "/",
            headers: ["content-type": " Application/JSON ; charset=utf-8"]
        )
        #expect(request.mediaType == "application/json")
    }
}
