import Dispatch
import FastCGI
import Foundation
import Synchronization
import Testing

/// A handler that sleeps for the number of milliseconds in the query string, then answers.
struct NapHandler: FastCGIRequestHandler {
    func respond(to request: FastCGIRequest) -> FastCGIResponse {
        if let query = request.parameters["QUERY_STRING"], let milliseconds = UInt32(query) {
            usleep(milliseconds * 1000)
        }
        return FastCGIResponse(
            status: 200,
            headers: [("Content-Type", "text/plain")],
            body: Array("\(request.method) \(request.body.count)".utf8)
        )
    }

    func respond(toRejected rejection: FastCGIRequestRejection, parameters: [String: String]) -> FastCGIResponse {
        if case .bodyTooLarge = rejection { return FastCGIResponse(status: 413) }
        return FastCGIResponse(status: 400)
    }
}

/// Through a real nginx (`fastcgi_keep_conn on`, upstream `keepalive`), when nginx is installed.
@Suite("FastCGI behind nginx", .enabled(if: NginxInstance.isAvailable), .serialized)
struct NginxInteropTests {
    @Test func keptAliveUpstreamConnectionsAreReused() throws {
        let server = try TestServer(workers: 32) { _ in NapHandler() }
        defer { server.stop() }
        let nginx = try NginxInstance(socketPath: try #require(server.socketPath), workerProcesses: 2, keepalive: 8)
        defer { nginx.stop() }
        for index in 0..<100 {
            let body = Array(repeating: UInt8(ascii: "x"), count: index * 10)
            let response = try #require(httpExchange(port: nginx.port, method: "POST", path: "/token", body: body))
            #expect(response.status == 200)
            #expect(response.body == "POST \(body.count)")
        }
        let statistics = server.server.statistics
        #expect(statistics.requestsServed == 100)
        // Sequential requests: each nginx worker keeps reusing its cached connection.
        #expect(statistics.connectionsAccepted <= 4)
    }

    @Test func nginxAndTheResponderAgreeOnBodyLimits() throws {
        let server = try TestServer(workers: 4, maxBodyBytes: 1000) { _ in NapHandler() }
        defer { server.stop() }
        let nginx = try NginxInstance(socketPath: try #require(server.socketPath), workerProcesses: 1, keepalive: 2)
        defer { nginx.stop() }
        let big = [UInt8](repeating: 0x41, count: 5000)
        #expect(httpExchange(port: nginx.port, method: "POST", path: "/token", body: big)?.status == 413)
        // The kept-alive upstream connection survived the refusal.
        #expect(httpExchange(port: nginx.port, method: "POST", path: "/token", body: [1, 2, 3])?.body == "POST 3")
        #expect(server.server.statistics.connectionsAccepted == 1)
    }

    @Test func shutdownWithNginxHoldingIdleConnectionsIsPrompt() throws {
        let server = try TestServer(workers: 8, grace: .seconds(60)) { _ in NapHandler() }
        let nginx = try NginxInstance(socketPath: try #require(server.socketPath), workerProcesses: 2, keepalive: 8)
        defer { nginx.stop() }
        let port = nginx.port
        let group = DispatchGroup()
        for _ in 0..<6 {
            group.enter()
            Thread.detachNewThread {
                _ = httpExchange(port: port, method: "GET", path: "/?100")
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(server.waitUntil { $0.idleKeptAliveConnections > 0 })
        #expect(server.stop(within: 10))
        // Afterwards nginx answers 502 at once instead of hanging.
        #expect(httpExchange(port: nginx.port, method: "GET", path: "/")?.status == 502)
    }

    /// What used to be the trap: nginx keeps more idle upstream connections (keepalive 8)
    /// than the responder has workers (2). They wait in the epoll set, so every request is
    /// answered, concurrent or after, on new and cached connections alike.
    @Test func moreKeptAliveUpstreamConnectionsThanWorkersAreAllServed() throws {
        let server = try TestServer(workers: 2) { _ in NapHandler() }
        defer { server.stop() }
        let nginx = try NginxInstance(
            socketPath: try #require(server.socketPath),
            workerProcesses: 1,
            keepalive: 8,
            readTimeoutSeconds: 20
        )
        defer { nginx.stop() }
        let port = nginx.port
        for wave in 0..<3 {
            let statuses = Mutex<[Int]>([])
            let group = DispatchGroup()
            for _ in 0..<8 {
                group.enter()
                Thread.detachNewThread {
                    let status = httpExchange(port: port, method: "GET", path: "/?100")?.status ?? -1
                    statuses.withLock { $0.append(status) }
                    group.leave()
                }
            }
            #expect(group.wait(timeout: .now() + 60) == .success)
            let concurrent = statuses.withLock { $0 }
            #expect(concurrent.count == 8 && concurrent.allSatisfy { $0 == 200 }, "wave \(wave): \(concurrent)")
        }
        #expect(server.waitUntil { $0.idleKeptAliveConnections > 2 })
        for _ in 0..<6 { #expect(httpExchange(port: nginx.port, method: "GET", path: "/")?.status == 200) }
    }
}
