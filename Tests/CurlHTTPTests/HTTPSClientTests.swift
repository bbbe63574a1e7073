import CurlHTTP
import Foundation
import Synchronization
import Testing

/// The HTTPS client against a real nginx with a private CA: what it fetches, and every way it
/// refuses (plain HTTP, redirects, sizes, slowness, the wrong CA or name).
@Suite("HTTPS client against nginx", .enabled(if: StaticHTTPSServer.isAvailable), .serialized)
struct HTTPSClientTests {
    func client(
        maxBodyBytes: Int = 65_536,
        timeout: Duration = .seconds(5),
        caFile: String? = TestPKI.shared?.serverCA,
        proxy: String? = nil
    ) throws(HTTPSClientError) -> HTTPSClient {
        try HTTPSClient(
            configuration: HTTPSClientConfiguration(
                connectTimeout: .seconds(2),
                timeout: timeout,
                maxBodyBytes: maxBodyBytes,
                caFile: caFile,
                proxy: proxy,
                userAgent: "CurlHTTPTests/1"
            )
        )
    }

    func withServer(_ body: (StaticHTTPSServer) throws -> Void) throws {
        let server = try StaticHTTPSServer(pki: try #require(TestPKI.shared))
        defer { server.stop() }
        try body(server)
    }

    func expectError(
        _ code: HTTPSClientError.Code,
        _ operation: () throws -> HTTPSResponse,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> HTTPSClientError? {
        do {
            let response = try operation()
            Issue.record("expected \(code), got status \(response.status)", sourceLocation: sourceLocation)
            return nil
        } catch let error as HTTPSClientError {
            #expect(error.code == code, "\(error.debugDescription)", sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("expected an HTTPSClientError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func fetchesADocumentWithItsContentType() throws {
        try withServer { server throws in
            let response = try client().get(server.url("/jwks.json"))
            #expect(response.status == 200)
            #expect(response.body == Array(StaticHTTPSServer.jwks.utf8))
            #expect(response.contentType == "application/json")
            #expect(response.maxAge == nil)
        }
    }

    @Test func reportsCacheControlMaxAge() throws {
        try withServer { server throws in
            #expect(try client().get(server.url("/cached.json")).maxAge == 120)
        }
    }

    @Test func sendsTheConfiguredUserAgentAndAccept() throws {
        try withServer { server throws in
            let client = try client()
            #expect(try client.get(server.url("/headers.json"), accept: "application/jwk-set+json").status == 200)
            let error = expectError(.unexpectedStatus) {
                try client.get(server.url("/headers.json"), accept: "text/html")
            }
            #expect(error?.httpStatus == 403)
        }
    }

    @Test func aBodyOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot() throws {
        try withServer { server throws in
            let size = StaticHTTPSServer.exactSize
            #expect(try client(maxBodyBytes: size).get(server.url("/exact.bin")).body.count == size)
            _ = expectError(.tooLarge) { try client(maxBodyBytes: size - 1).get(server.url("/exact.bin")) }
        }
    }

    /// With `Content-Length` libcurl refuses before reading; without (chunked), the write
    /// callback stops the transfer once the limit is passed.
    @Test(arguments: ["/big.bin", "/chunked.bin"])
    func anOversizedAnswerIsRefused(path: String) throws {
        try withServer { server throws in
            _ = expectError(.tooLarge) { try client(maxBodyBytes: 65_536).get(server.url(path)) }
            // The same body is fine under a larger limit, so the refusal is the size's doing.
            #expect(try client(maxBodyBytes: 512 * 1024).get(server.url(path)).body.count == 256 * 1024)
        }
    }

    @Test func aSlowAnswerTimesOut() throws {
        try withServer { server throws in
            let started = ContinuousClock.now
            _ = expectError(.timeout) { try client(timeout: .seconds(1)).get(server.url("/slow.json")) }
            #expect(ContinuousClock.now - started < .seconds(4))
        }
    }

    @Test func plainHTTPIsRefusedBeforeConnecting() throws {
        try withServer { server throws in
            let client = try client()
            _ = expectError(.notHTTPS) { try client.get("http://localhost:\(server.httpPort)/jwks.json") }
            _ = expectError(.notHTTPS) { try client.get("HTTP://localhost:\(server.httpPort)/jwks.json") }
            _ = expectError(.notHTTPS) { try client.get("ftp://localhost:\(server.httpPort)/jwks.json") }
            _ = expectError(.notHTTPS) { try client.get("localhost:\(server.httpPort)/jwks.json") }
        }
    }

    @Test func aServerSpeakingPlainHTTPOnAnHTTPSURLFails() throws {
        try withServer { server throws in
            _ = expectError(.tlsFailure) { try client().get("https://localhost:\(server.httpPort)/jwks.json") }
        }
    }

    @Test(arguments: ["/moved", "/to-http"])
    func redirectsAreNotFollowed(path: String) throws {
        try withServer { server throws in
            let error = expectError(.unexpectedStatus) { try client().get(server.url(path)) }
            #expect(error?.httpStatus == (path == "/moved" ? 301 : 302))
        }
    }

    @Test func aNotFoundIsAnUnexpectedStatus() throws {
        try withServer { server throws in
            let error = expectError(.unexpectedStatus) { try client().get(server.url("/missing")) }
            #expect(error?.httpStatus == 404)
        }
    }

    @Test func aCertificateFromAnotherCAIsRefused() throws {
        try withServer { server throws in
            _ = expectError(.tlsFailure) { try client(caFile: TestPKI.shared?.otherCA).get(server.url("/jwks.json")) }
        }
    }

    @Test func thePrivateCAIsNotTrustedByTheSystemStore() throws {
        try withServer { server throws in
            _ = expectError(.tlsFailure) { try client(caFile: nil).get(server.url("/jwks.json")) }
        }
    }

    @Test func aCertificateForAnotherNameIsRefused() throws {
        try withServer { server throws in
            _ = expectError(.tlsFailure) {
                try client().get("https://localhost:\(server.otherNamePort)/jwks.json")
            }
        }
    }

    @Test func aClosedPortIsAConnectFailure() throws {
        let port = freeLoopbackPort()
        _ = expectError(.connectFailure) { try client().get("https://localhost:\(port)/jwks.json") }
    }

    /// Proxy variables of the environment are ignored; a configured proxy is used.
    @Test func onlyAConfiguredProxyIsUsed() throws {
        try withServer { server throws in
            let deadProxy = "http://127.0.0.1:\(freeLoopbackPort())"
            let variables = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
            for name in variables { setenv(name, deadProxy, 1) }
            defer { for name in variables { unsetenv(name) } }
            #expect(try client().get(server.url("/jwks.json")).status == 200)
            _ = expectError(.connectFailure) { try client(proxy: deadProxy).get(server.url("/jwks.json")) }
        }
    }

    @Test func anUnreadableCAFileIsAConfigurationError() {
        #expect(throws: HTTPSClientError.self) { try client(caFile: "/nonexistent/ca.pem") }
        do {
            _ = try client(caFile: "/nonexistent/ca.pem")
        } catch {
            #expect(error.code == .invalidConfiguration)
        }
    }

    @Test func aURLWithANULIsRefused() {
        _ = expectError(.invalidURL) { try client().get("https://localhost/\u{0}x") }
    }

    @Test func manyThreadsFetchAtOnce() throws {
        try withServer { server throws in
            let client = try client()
            let url = server.url("/jwks.json")
            let failures = Mutex(0)
            DispatchQueue.concurrentPerform(iterations: 16) { _ in
                if (try? client.get(url))?.body != Array(StaticHTTPSServer.jwks.utf8) {
                    failures.withLock { $0 += 1 }
                }
            }
            #expect(failures.withLock { $0 } == 0)
        }
    }
}
