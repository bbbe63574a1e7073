import Dispatch
import FastCGI
import Foundation
import Testing

/// What a peer that is not a well-behaved web server can no longer do: trickle a request to
/// hold a worker, stream parameters without end, connect over TCP from anywhere.
@Suite("FastCGI server: deadlines, parameter stream, peers")
struct ServerHardeningTests {
    /// Sends `bytes` one at a time, `interval` apart, until done or the server closes.
    private func trickle(_ bytes: [UInt8], to client: FastCGITestClient, interval: Duration) -> Int {
        var sent = 0
        for byte in bytes {
            guard (try? client.send([byte])) != nil else { break }
            sent += 1
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18)
        }
        return sent
    }

    @Test func parametersTrickledPastTheDeadlineAreDroppedAndTheWorkerFreed() throws {
        let server = try TestServer(workers: 1, requestTimeout: .seconds(1))
        defer { server.stop() }
        let slow = try server.client()
        let request = FastCGITestClient.request(params: standardParameters())
        let started = ContinuousClock.now
        // Each byte well within the 5 s I/O timeout; the whole request would take ~30 s.
        let sender = Thread {
            _ = trickle(request, to: slow, interval: .milliseconds(100))
        }
        sender.start()
        #expect(slow.isClosedByServer())
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(4))
        #expect(server.waitUntil { $0.requestsTimedOut == 1 })
        // The only worker is free again.
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
    }

    @Test func aBodyTrickledPastTheDeadlineIsDroppedAndTheWorkerFreed() throws {
        let server = try TestServer(workers: 1, requestTimeout: .seconds(1))
        defer { server.stop() }
        let slow = try server.client()
        try slow.send(
            FastCGITestClient.beginRequest(id: 1, keepConnection: true)
                + FastCGITestClient.params(id: 1, standardParameters(method: "POST", contentLength: 200))
        )
        let started = ContinuousClock.now
        // libfcgi reads the body; one byte per STDIN record, 100 ms apart.
        let sender = Thread {
            for _ in 0..<200 {
                guard (try? slow.send(FastCGITestClient.record(.stdin, id: 1, [0x41], padding: 7))) != nil else {
                    break
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        sender.start()
        #expect(slow.isClosedByServer())
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(4))
        #expect(server.waitUntil { $0.requestsTimedOut == 1 })
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
    }

    @Test func aRequestArrivingWithinTheDeadlineIsServedAndTheNextOneGetsAFreshDeadline() throws {
        let server = try TestServer(workers: 1, requestTimeout: .seconds(1))
        defer { server.stop() }
        let client = try server.client()
        for _ in 0..<3 {
            try client.send(FastCGITestClient.request(params: standardParameters(), keepConnection: true))
            #expect(try client.readResponse().status == 200)
            // Idle between requests longer than the deadline: not a request in progress.
            Thread.sleep(forTimeInterval: 0.6)
        }
        #expect(server.server.statistics.requestsTimedOut == 0)
    }

    /// The parameter stream never ends; the server refuses it once past the limit and the
    /// discard allowance, without waiting for (or holding) the rest.
    @Test func anEndlessParameterStreamIsRefusedWithoutReadingItAll() throws {
        let server = try TestServer(workers: 1, maxParametersBytes: 16 * 1024, maxDiscardedBodyBytes: 64 * 1024)
        defer { server.stop() }
        let client = try server.client()
        let filler = FastCGITestClient.nameValue(Array("HTTP_X_FILLER".utf8), [UInt8](repeating: 0x61, count: 60_000))
        var bytes = FastCGITestClient.beginRequest(id: 1, keepConnection: true)
        bytes += FastCGITestClient.record(
            .params,
            id: 1,
            FastCGITestClient.nameValue(Array("REQUEST_METHOD".utf8), Array("PUT".utf8))
        )
        for _ in 0..<4 {
            bytes += FastCGITestClient.record(.params, id: 1, filler, padding: (8 - filler.count % 8) % 8)
        }
        // No empty FCGI_PARAMS record: libfcgi would wait for it for ever.
        try client.send(bytes)
        let response = try client.readResponse()
        #expect(response.status == 431)
        #expect(response.header("X-Rejection") == "parametersTooLarge")
        #expect(response.header("X-Seen-Method") == "PUT")
        #expect(client.isClosedByServer())
        let next = try server.client()
        try next.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try next.readResponse().status == 200)
    }

    @Test func oversizedParametersThatEndAreRefusedAndTheConnectionKept() throws {
        let server = try TestServer(workers: 1, maxParametersBytes: 16 * 1024)
        defer { server.stop() }
        let client = try server.client()
        let big = String(repeating: "b", count: 20_000)
        try client.send(
            FastCGITestClient.request(
                params: standardParameters(method: "POST", contentLength: 3, extra: [("HTTP_BIG", big)]),
                body: [1, 2, 3],
                keepConnection: true
            )
        )
        #expect(try client.readResponse().status == 431)
        try client.send(FastCGITestClient.request(params: standardParameters(), keepConnection: true))
        #expect(try client.readResponse().status == 200)
    }

    // MARK: HEAD

    /// RFC 9110 §9.3.2: HEAD gets GET's header fields, Content-Length included, and no body.
    @Test func headGetsTheContentLengthOfGetAndNoBody() throws {
        let body = Array("{\"keys\":[]}".utf8)
        let server = try TestServer { _ in
            FixedHandler(
                response: FastCGIResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
            )
        }
        defer { server.stop() }
        for method in ["GET", "HEAD"] {
            let client = try server.client()
            try client.send(FastCGITestClient.request(params: standardParameters(method: method, uri: "/jwks")))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "\(body.count)")
            #expect(response.body == (method == "HEAD" ? [] : body))
        }
    }

    // MARK: Peers

    private func code(_ body: () throws -> Void) -> FastCGIServerError.Code? {
        do {
            try body()
            return nil
        } catch let error as FastCGIServerError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test(arguments: ["0.0.0.0", "", "::"])
    func aReachableTCPListenerWithoutAllowedPeersIsRefused(host: String) {
        let configuration = FastCGIServerConfiguration(listen: .tcp(host: host, port: 0))
        #expect(
            code { _ = try FastCGIServer(configuration: configuration) { _ in EchoHandler() } }
                == .peerAllowlistRequired
        )
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.2", "::1"])
    func aLoopbackTCPListenerNeedsNoList(host: String) throws {
        let server = try FastCGIServer(configuration: .init(listen: .tcp(host: host, port: 0))) { _ in EchoHandler() }
        #expect(server.tcpPort != nil)
    }

    @Test func allowedPeersMustBeNumericAddresses() {
        let configuration = FastCGIServerConfiguration(
            listen: .tcp(host: "0.0.0.0", port: 0),
            allowedPeers: ["web1.bank.example"]
        )
        #expect(
            code { _ = try FastCGIServer(configuration: configuration) { _ in EchoHandler() } } == .invalidConfiguration
        )
    }

    @Test func aPeerNotOnTheListIsRefused() throws {
        let server = try TestServer(allowedPeers: ["192.0.2.7"], listen: .tcp(host: "0.0.0.0", port: 0))
        defer { server.stop() }
        let client = try FastCGITestClient(tcpPort: try #require(server.server.tcpPort))
        client.sendIgnoringErrors(FastCGITestClient.request(params: standardParameters()))
        #expect(client.isClosedByServer())
        #expect(server.recorder.contains(level: .warning, "not in the allowed web server list"))
        #expect(server.server.statistics.requestsServed == 0)
    }

    @Test(arguments: ["127.0.0.1", "::ffff:127.0.0.1"])
    func aPeerOnTheListIsServed(peer: String) throws {
        let server = try TestServer(allowedPeers: ["192.0.2.7", peer], listen: .tcp(host: "0.0.0.0", port: 0))
        defer { server.stop() }
        let client = try FastCGITestClient(tcpPort: try #require(server.server.tcpPort))
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
    }

    // MARK: Sizing

    @Test func aNormalStartWarnsAboutNothing() throws {
        let server = try TestServer(workers: 4)
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
        server.stop()
        #expect(!server.recorder.contains(level: .warning, ""))
    }
}
