import Foundation
import Glibc
import Testing

@testable import FastCGI

@Suite("Listening socket and configuration")
struct ListeningSocketTests {
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

    @Test func createsTheSocketWithTheRequestedMode() throws {
        let path = temporarySocketPath()
        let socket = try ListeningSocket.open(
            .unixSocket(path: path, permissions: 0o640),
            backlog: 8,
            ioTimeout: .seconds(1)
        )
        defer { withExtendedLifetime(socket) {} }
        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o640)
    }

    @Test func refusesToReplaceARegularFile() throws {
        let path = temporarySocketPath()
        #expect(
            FileManager.default.createFile(atPath: path, contents: Array("keep me".utf8).withUnsafeBytes { Data($0) })
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(
            code {
                _ = try ListeningSocket.open(
                    .unixSocket(path: path, permissions: 0o600),
                    backlog: 8,
                    ioTimeout: .seconds(1)
                )
            } == .pathNotASocket
        )
        #expect(FileManager.default.contents(atPath: path) == Array("keep me".utf8).withUnsafeBytes { Data($0) })
    }

    @Test func refusesToReplaceADirectory() throws {
        let path = temporarySocketPath()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(
            code {
                _ = try ListeningSocket.open(
                    .unixSocket(path: path, permissions: 0o600),
                    backlog: 8,
                    ioTimeout: .seconds(1)
                )
            } == .pathNotASocket
        )
    }

    @Test func replacesAStaleSocket() throws {
        let path = temporarySocketPath()
        // A socket file nobody listens on, as a crashed responder leaves it.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(fd)
        let socket = try ListeningSocket.open(
            .unixSocket(path: path, permissions: 0o600),
            backlog: 8,
            ioTimeout: .seconds(1)
        )
        let client = try FastCGITestClient(unixPath: path)
        withExtendedLifetime((socket, client)) {}
    }

    @Test func refusesASocketSomeoneListensOn() throws {
        let path = temporarySocketPath()
        let first = try ListeningSocket.open(
            .unixSocket(path: path, permissions: 0o600),
            backlog: 8,
            ioTimeout: .seconds(1)
        )
        defer { withExtendedLifetime(first) {} }
        #expect(
            code {
                _ = try ListeningSocket.open(
                    .unixSocket(path: path, permissions: 0o600),
                    backlog: 8,
                    ioTimeout: .seconds(1)
                )
            } == .addressInUse
        )
        // The first listener still works.
        _ = try FastCGITestClient(unixPath: path)
    }

    @Test func socketFileReplacedByAnotherResponderIsNotRemoved() throws {
        let path = temporarySocketPath()
        var first: ListeningSocket? = try ListeningSocket.open(
            .unixSocket(path: path, permissions: 0o600),
            backlog: 8,
            ioTimeout: .seconds(1)
        )
        first?.stopAccepting()
        // A new responder finds the old one no longer accepting and replaces the file.
        let second = try ListeningSocket.open(
            .unixSocket(path: path, permissions: 0o600),
            backlog: 8,
            ioTimeout: .seconds(1)
        )
        first = nil
        #expect(FileManager.default.fileExists(atPath: path))
        _ = try FastCGITestClient(unixPath: path)
        withExtendedLifetime(second) {}
    }

    @Test func tcpPortInUseIsReported() throws {
        let first = try ListeningSocket.open(.tcp(host: "127.0.0.1", port: 0), backlog: 8, ioTimeout: .seconds(1))
        let port = try #require(first.tcpPort)
        #expect(
            code {
                _ = try ListeningSocket.open(.tcp(host: "127.0.0.1", port: port), backlog: 8, ioTimeout: .seconds(1))
            } == .addressInUse
        )
        withExtendedLifetime(first) {}
    }

    @Test func unresolvableHostIsAListenFailure() {
        #expect(
            code {
                _ = try ListeningSocket.open(
                    .tcp(host: "no-such-host.invalid", port: 0),
                    backlog: 8,
                    ioTimeout: .seconds(1)
                )
            } == .listenFailed
        )
    }

    // MARK: Inherited descriptors

    @Test func adoptsAListeningSocket() throws {
        let path = temporarySocketPath()
        let owner = try ListeningSocket.open(
            .unixSocket(path: path, permissions: 0o600),
            backlog: 8,
            ioTimeout: .seconds(1)
        )
        let copy = dup(owner.descriptor)
        defer { close(copy) }
        let adopted = try ListeningSocket.adopt(descriptor: copy, label: "test fd")
        #expect(adopted.descriptor == copy)
        withExtendedLifetime((owner, adopted)) {}
    }

    @Test func refusesARegularFile() throws {
        let fd = open("/etc/hostname", O_RDONLY)
        defer { close(fd) }
        #expect(code { _ = try ListeningSocket.adopt(descriptor: fd, label: "test fd") } == .notAListeningSocket)
    }

    @Test func refusesAPipe() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        #expect(code { _ = try ListeningSocket.adopt(descriptor: ends[0], label: "test fd") } == .notAListeningSocket)
    }

    @Test func refusesAConnectedSocket() throws {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer {
            close(pair[0])
            close(pair[1])
        }
        #expect(code { _ = try ListeningSocket.adopt(descriptor: pair[0], label: "test fd") } == .notAListeningSocket)
    }

    @Test func refusesAClosedDescriptor() {
        #expect(code { _ = try ListeningSocket.adopt(descriptor: 987, label: "test fd") } == .notAListeningSocket)
    }

    // MARK: FCGI_WEB_SERVER_ADDRS

    /// A TCP connection from 127.0.0.1, accepted: returns the server side.
    private func acceptedLoopbackConnection() throws -> (server: Int32, keep: [AnyObject]) {
        let listener = try ListeningSocket.open(.tcp(host: "127.0.0.1", port: 0), backlog: 8, ioTimeout: .seconds(1))
        let client = try FastCGITestClient(tcpPort: try #require(listener.tcpPort))
        var fd: Int32 = -1
        for _ in 0..<100 {
            fd = accept(listener.descriptor, nil, nil)
            if fd >= 0 { break }
            usleep(10_000)
        }
        try #require(fd >= 0)
        return (fd, [listener, client])
    }

    @Test func peerAllowlistAdmitsListedAddresses() throws {
        let (fd, keep) = try acceptedLoopbackConnection()
        defer { close(fd) }
        #expect(try #require(PeerAllowlist(environmentValue: "10.0.0.1, 127.0.0.1")).allows(connection: fd))
        #expect(!(try #require(PeerAllowlist(environmentValue: "10.0.0.1,192.0.2.7")).allows(connection: fd)))
        withExtendedLifetime(keep) {}
    }

    @Test(arguments: [nil, "", " , ,"] as [String?])
    func emptyAllowlistMeansNoRestriction(value: String?) {
        #expect(PeerAllowlist(environmentValue: value) == nil)
    }

    // MARK: Configuration

    static let invalidConfigurations: [FastCGIServerConfiguration] = [
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), workerCount: 0),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), workerCount: 100_000),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), maxParametersBytes: 0),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), maxBodyBytes: -1),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), maxDiscardedBodyBytes: -1),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), shutdownGracePeriod: .seconds(-1)),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), listenBacklog: 0),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o600), connectionIOTimeout: .zero),
        .init(listen: .unixSocket(path: "", permissions: 0o600)),
        .init(listen: .unixSocket(path: "/tmp/" + String(repeating: "s", count: 120), permissions: 0o600)),
        .init(listen: .unixSocket(path: "/tmp/a\u{0}b", permissions: 0o600)),
        .init(listen: .unixSocket(path: "/tmp/x.sock", permissions: 0o1777)),
        .init(listen: .tcp(host: "127.0.0.1", port: -1)),
        .init(listen: .tcp(host: "127.0.0.1", port: 65536)),
    ]

    @Test(arguments: 0..<invalidConfigurations.count)
    func invalidConfigurationsAreRefusedBeforeAnySocket(index: Int) {
        let configuration = Self.invalidConfigurations[index]
        #expect(
            code { _ = try FastCGIServer(configuration: configuration) { _ in EchoHandler() } } == .invalidConfiguration
        )
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let configuration = FastCGIServerConfiguration()
        #expect(configuration.listen == .defaultUnixSocket)
        #expect(configuration.workerCount == FastCGIServerConfiguration.defaultWorkerCount)
        #expect((8...64).contains(configuration.workerCount))
        #expect(configuration.listenBacklog == 1024)
        #expect(configuration.maxParametersBytes == 16 * 1024)
        #expect(configuration.maxBodyBytes == 64 * 1024)
        #expect(configuration.shutdownGracePeriod == .seconds(10))
    }

    @Test func errorsCompareByCode() {
        let one = FastCGIServerError(.addressInUse, "one reason")
        let other = FastCGIServerError(.addressInUse, "another reason")
        #expect(one == other)
        #expect(one != FastCGIServerError(.listenFailed, "one reason"))
        #expect(one.description.contains("address_in_use"))
    }
}
