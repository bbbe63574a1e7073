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

    @Test func tooFewWorkersForApacheMaxMakesRequestsHang() throws {
        for workers in [2, 8] {
            let server = try TestServer(workers: workers, listen: Self.openSocket()) { _ in NapHandler() }
            let apache = try ApacheInstance(
                socketPath: try #require(server.socketPath),
                threadsPerChild: 8,
                proxyParameters: "enablereuse=on max=4 timeout=3"
            )
            let port = apache.port
            let statuses = Mutex<[Int]>([])
            let group = DispatchGroup()
            for _ in 0..<4 {
                group.enter()
                Thread.detachNewThread {
                    let status = httpExchange(port: port, method: "GET", path: "/?300")?.status ?? -1
                    statuses.withLock { $0.append(status) }
                    group.leave()
                }
            }
            _ = group.wait(timeout: .now() + 30)
            var later: [Int] = []
            for _ in 0..<6 { later.append(httpExchange(port: port, method: "GET", path: "/")?.status ?? -1) }
            let concurrent = statuses.withLock { $0.sorted() }
            print(
                "apache workers=\(workers) concurrent=\(concurrent) sequential=\(later) accepted=\(server.server.statistics.connectionsAccepted)"
            )
            if workers == 2 {
                // Apache's pool keeps the connections we never accepted: requests keep failing.
                #expect(concurrent.contains(504) && later.contains(504))
            } else {
                #expect(concurrent.allSatisfy { $0 == 200 } && later.allSatisfy { $0 == 200 })
            }
            apache.stop()
            server.stop()
        }
    }
}
