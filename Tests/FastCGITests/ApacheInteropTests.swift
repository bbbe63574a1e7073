import Dispatch
import FastCGI
import Foundation
import Synchronization
import Testing

/// Through a real Apache httpd with mod_proxy_fcgi, on request (`CREDENCE_FASTCGI_APACHE_TEST`):
/// its children run as www-data, so the socket is world-writable for the test.
@Suite(
    "FastCGI behind Apache mod_proxy_fcgi",
    .enabled(
        if: ApacheInstance.isAvailable && ProcessInfo.processInfo.environment["CREDENCE_FASTCGI_APACHE_TEST"] != nil
    ),
    .serialized
)
struct ApacheInteropTests {
    static func openSocket() -> FastCGIListenAddress {
        .unixSocket(path: temporarySocketPath(), permissions: 0o666)
    }

    @Test func enablereuseKeepsUpstreamConnections() throws {
        let server = try TestServer(workers: 8, listen: Self.openSocket()) { _ in NapHandler() }
        defer { server.stop() }
        let apache = try ApacheInstance(
            socketPath: try #require(server.socketPath),
            threadsPerChild: 8,
            proxyParameters: "enablereuse=on max=4"
        )
        defer { apache.stop() }
        for _ in 0..<50 {
            #expect(httpExchange(port: apache.port, method: "POST", path: "/token", body: [1, 2])?.body == "POST 2")
        }
        let statistics = server.server.statistics
        print(
            "apache enablereuse: served=\(statistics.requestsServed) accepted=\(statistics.connectionsAccepted) idle=\(statistics.idleKeptAliveConnections)"
        )
        #expect(statistics.connectionsAccepted < 10)
    }

    @Test func withoutEnablereuseEachRequestIsANewConnection() throws {
        let server = try TestServer(workers: 4, listen: Self.openSocket()) { _ in NapHandler() }
        defer { server.stop() }
        let apache = try ApacheInstance(
            socketPath: try #require(server.socketPath),
            threadsPerChild: 8,
            proxyParameters: ""
        )
        defer { apache.stop() }
        for _ in 0..<20 {
            #expect(httpExchange(port: apache.port, method: "GET", path: "/")?.status == 200)
        }
        let statistics = server.server.statistics
        print(
            "apache default: served=\(statistics.requestsServed) accepted=\(statistics.connectionsAccepted) idle=\(statistics.idleKeptAliveConnections)"
        )
        #expect(statistics.connectionsAccepted >= 20)
    }

    /// What used to be the trap: Apache's pool keeps more connections (max=4 per child)
    /// than the responder has workers (2); they wait in the epoll set, so every request is
    /// answered.
    @Test func moreReusedConnectionsThanWorkersAreAllServed() throws {
        let server = try TestServer(workers: 2, listen: Self.openSocket()) { _ in NapHandler() }
        defer { server.stop() }
        let apache = try ApacheInstance(
            socketPath: try #require(server.socketPath),
            threadsPerChild: 8,
            proxyParameters: "enablereuse=on max=4 timeout=20"
        )
        defer { apache.stop() }
        let port = apache.port
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
        for _ in 0..<6 { #expect(httpExchange(port: port, method: "GET", path: "/")?.status == 200) }
        #expect(server.server.statistics.idleKeptAliveConnections > 2)
    }
}
