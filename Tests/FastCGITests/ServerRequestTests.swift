import FastCGI
import Foundation
import Testing

/// Requests through a real ``FastCGIServer`` on a temporary unix socket, spoken to with raw
/// FastCGI records.
@Suite("FastCGI server: requests and limits")
struct ServerRequestTests {
    @Test func getWithParametersReachesTheHandler() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(extra: [("QUERY_STRING", "a=1&b=%C3%A9"), ("HTTP_ACCEPT", "*/*")])
            )
        )
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.protocolStatus == 0)
        #expect(response.header("X-Method") == "GET")
        #expect(response.header("X-Query") == "a=1&b=%C3%A9")
        // Eight parameters sent; libfcgi's own FCGI_ROLE entry is not passed on.
        #expect(response.header("X-Parameter-Count") == "8")
        #expect(response.header("X-Role") == nil)
        #expect(response.header("Content-Length") == "0")
        #expect(response.body.isEmpty)
        #expect(client.isClosedByServer())
    }

    @Test func postBodyArrivesWhole() throws {
        let server = try TestServer()
        defer { server.stop() }
        let body = Array("grant_type=client_credentials&scope=accounts".utf8)
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(method: "POST", contentLength: body.count),
                body: body
            )
        )
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body == body)
        #expect(response.header("Content-Length") == "\(body.count)")
    }

    @Test func bodyOfManyRecordsArrivesWhole() throws {
        let server = try TestServer(maxBodyBytes: 300_000)
        defer { server.stop() }
        let body = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(params: standardParameters(method: "POST", contentLength: body.count), body: body)
        )
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body == body)
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() throws {
        let server = try TestServer(maxBodyBytes: 1000)
        defer { server.stop() }
        let body = [UInt8](repeating: 0x61, count: 1000)
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(params: standardParameters(method: "POST", contentLength: 1000), body: body)
        )
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.count == 1000)
    }

    @Test func declaredBodyOverTheLimitIsRefusedAndTheConnectionStaysUsable() throws {
        let server = try TestServer(maxBodyBytes: 1000)
        defer { server.stop() }
        let client = try server.client()
        let big = [UInt8](repeating: 0x62, count: 5000)
        try client.send(
            FastCGITestClient.request(
                id: 1,
                params: standardParameters(method: "POST", contentLength: big.count),
                body: big,
                keepConnection: true
            )
        )
        let refused = try client.readResponse(id: 1)
        #expect(refused.status == 413)
        #expect(refused.header("X-Rejection") == "bodyTooLarge")
        #expect(refused.header("X-Seen-Method") == "POST")
        // The refused body was drained, so the kept-alive connection serves the next request.
        try client.send(
            FastCGITestClient.request(
                id: 2,
                params: standardParameters(method: "POST", contentLength: 3),
                body: Array("abc".utf8),
                keepConnection: true
            )
        )
        let next = try client.readResponse(id: 2)
        #expect(next.status == 200)
        #expect(next.bodyText == "abc")
        #expect(server.server.statistics.requestsRejected == 1)
    }

    @Test func bodyFarOverTheDiscardLimitIsRefusedAndTheConnectionClosed() throws {
        let server = try TestServer(maxBodyBytes: 1000, maxDiscardedBodyBytes: 20_000)
        defer { server.stop() }
        let client = try server.client()
        let huge = [UInt8](repeating: 0x63, count: 200_000)
        // Send from another thread: the server stops reading, so a large send may block.
        let sender = Thread {
            client.sendIgnoringErrors(
                FastCGITestClient.request(
                    params: standardParameters(method: "POST", contentLength: huge.count),
                    body: huge,
                    keepConnection: true
                )
            )
        }
        sender.start()
        let refused = try client.readResponse()
        #expect(refused.status == 413)
        #expect(client.isClosedByServer())
        // The worker survived: a new connection is served.
        let again = try server.client()
        try again.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try again.readResponse().status == 200)
    }

    @Test func undeclaredExtraBodyOverTheLimitIsTooLarge() throws {
        let server = try TestServer(maxBodyBytes: 100)
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(method: "POST", contentLength: 10),
                body: [UInt8](repeating: 0x64, count: 500)
            )
        )
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("X-Rejection") == "bodyTooLarge")
    }

    @Test func truncatedBodyIsMalformed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(method: "POST", contentLength: 100),
                body: Array("only a part".utf8),
                keepConnection: true
            )
        )
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("X-Rejection") == "malformed")
        // The stream ended cleanly, so the connection is still good.
        try client.send(FastCGITestClient.request(id: 2, params: standardParameters(), keepConnection: true))
        #expect(try client.readResponse(id: 2).status == 200)
    }

    @Test func bodyLongerThanDeclaredIsMalformed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(method: "POST", contentLength: 4),
                body: Array("four and more".utf8)
            )
        )
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("X-Rejection") == "malformed")
    }

    @Test func bodyWithoutContentLengthIsReadToTheEnd() throws {
        // Apache streams a chunked body it did not spool without CONTENT_LENGTH.
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 20_000)
        try client.send(FastCGITestClient.request(params: standardParameters(method: "POST"), body: body))
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body == body)
    }

    @Test func missingRequestMethodIsMalformed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: [("REQUEST_URI", "/token"), ("CONTENT_LENGTH", "")]))
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("X-Rejection") == "malformed")
        #expect(response.header("X-Seen-Method") == "-")
    }

    @Test(arguments: ["-1", "+5", "0x10", " 5", "5 ", "1e3", "99999999999999999999", "٣"])
    func invalidContentLengthIsMalformed(value: String) throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(method: "POST", extra: [("CONTENT_LENGTH", value)]).filter {
                    $0.0 != "CONTENT_LENGTH" || $0.1 == value
                }
            )
        )
        #expect(try client.readResponse().header("X-Rejection") == "malformed")
    }

    @Test func parametersOverTheLimitAreRefusedWithTheRoutingSubset() throws {
        let server = try TestServer(maxParametersBytes: 2048)
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(extra: [("HTTP_COOKIE", String(repeating: "c", count: 4000))])
            )
        )
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(response.header("X-Rejection") == "parametersTooLarge")
        #expect(response.header("X-Seen-Method") == "GET")
    }

    @Test func parameterThatIsNotUTF8IsMalformed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        let pairs: [([UInt8], [UInt8])] = [
            (Array("REQUEST_METHOD".utf8), Array("GET".utf8)), (Array("HTTP_X".utf8), [0xC3, 0x28]),
        ]
        try client.send(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false) + FastCGITestClient.rawParams(id: 1, pairs)
                + FastCGITestClient.stdin(id: 1, [])
        )
        #expect(try client.readResponse().header("X-Rejection") == "malformed")
    }

    @Test func parameterSentTwiceWithDifferentValuesIsMalformed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(extra: [
                    ("HTTP_AUTHORIZATION", "Basic a"), ("HTTP_AUTHORIZATION", "Basic b"),
                ])
            )
        )
        #expect(try client.readResponse().header("X-Rejection") == "malformed")
    }

    @Test func headerInjectionFromTheHandlerBecomesA500() throws {
        let server = try TestServer { _ in
            FixedHandler(
                response: FastCGIResponse(
                    status: 200,
                    headers: [("Location", "/a\r\nSet-Cookie: stolen=1")],
                    body: Array("x".utf8)
                )
            )
        }
        defer { server.stop() }
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        let response = try client.readResponse()
        #expect(response.status == 500)
        #expect(response.header("Set-Cookie") == nil)
        #expect(response.body.isEmpty)
    }

    @Test func handlerContentLengthIsReplacedByTheRealOne() throws {
        let server = try TestServer { _ in
            FixedHandler(
                response: FastCGIResponse(
                    status: 201,
                    headers: [("Content-Length", "999"), ("Cache-Control", "no-store")],
                    body: Array("{}".utf8)
                )
            )
        }
        defer { server.stop() }
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.headers.filter { $0.name.lowercased() == "content-length" }.map(\.value) == ["2"])
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.bodyText == "{}")
    }

    @Test func authorizerRoleIsRefusedAsMalformed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.client()
        // An authorizer request has no FCGI_STDIN (FastCGI 1.0 §6.3): none is sent.
        try client.send(
            FastCGITestClient.beginRequest(id: 1, role: 2, keepConnection: true)
                + FastCGITestClient.params(id: 1, standardParameters())
        )
        #expect(try client.readResponse().header("X-Rejection") == "malformed")
        #expect(client.isClosedByServer())
    }

    @Test func tcpListenerOnAnEphemeralPortServes() throws {
        let server = try TestServer(listen: .tcp(host: "127.0.0.1", port: 0))
        defer { server.stop() }
        let port = try #require(server.server.tcpPort)
        #expect(port > 0)
        let client = try FastCGITestClient(tcpPort: port)
        try client.send(FastCGITestClient.request(params: standardParameters(method: "DELETE")))
        #expect(try client.readResponse().header("X-Method") == "DELETE")
    }
}
