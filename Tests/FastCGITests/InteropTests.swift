import Foundation
import Glibc
import Testing

@testable import FastCGI

/// Independent FastCGI peers and the inherited-socket start-up, which touch process-wide
/// state (descriptor 0) and so run one at a time.
@Suite("FastCGI interop", .serialized)
struct InteropTests {
    /// libfcgi's own client, `cgi-fcgi` (package libfcgi-bin), as a web server would be.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cgi-fcgi")))
    func cgiFcgiBridgeGetsTheResponse() throws {
        let server = try TestServer()
        defer { server.stop() }
        let path = try #require(server.socketPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/cgi-fcgi")
        process.arguments = ["-bind", "-connect", path]
        // A small CGI environment: cgi-fcgi sends its whole environment as parameters.
        process.environment = [
            "REQUEST_METHOD": "POST", "CONTENT_LENGTH": "11", "QUERY_STRING": "from=cgi-fcgi",
            "REQUEST_URI": "/token", "SERVER_PROTOCOL": "HTTP/1.1",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("hello world".utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let response = try FastCGITestClient.parseCGI(Array(data))
        #expect(response.status == 200)
        #expect(response.header("X-Method") == "POST")
        #expect(response.header("X-Query") == "from=cgi-fcgi")
        #expect(response.bodyText == "hello world")
    }

    /// spawn-fcgi, mod_fcgid and systemd (`StandardInput=socket`) hand the listening socket
    /// over as descriptor 0.
    @Test func servesOnAListeningSocketInheritedAsStandardInput() throws {
        let path = temporarySocketPath()
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 16) == 0)
        defer {
            close(listener)
            unlink(path)
        }
        let savedStandardInput = dup(0)
        try #require(savedStandardInput >= 0 && dup2(listener, 0) == 0)
        defer {
            dup2(savedStandardInput, 0)
            close(savedStandardInput)
        }
        let server = try TestServer(listen: .inheritedStandardInput, clientPath: path)
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters(), keepConnection: true))
        #expect(try client.readResponse().status == 200)
        #expect(server.stop())
        // The borrowed socket is left open and blocking for its owner.
        #expect(fcntl(0, F_GETFL) & O_NONBLOCK == 0)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func refusesAStandardInputThatIsNotAListeningSocket() throws {
        let devNull = open("/dev/null", O_RDONLY)
        let savedStandardInput = dup(0)
        try #require(devNull >= 0 && savedStandardInput >= 0 && dup2(devNull, 0) == 0)
        defer {
            dup2(savedStandardInput, 0)
            close(savedStandardInput)
            close(devNull)
        }
        do {
            _ = try FastCGIServer(configuration: .init(listen: .inheritedStandardInput, workerCount: 1)) { _ in
                EchoHandler()
            }
            Issue.record("a server was made on /dev/null")
        } catch {
            #expect(error.code == .notAListeningSocket)
        }
    }
}
