import Foundation
import Glibc

/// A free TCP port on 127.0.0.1 (bound once, then released).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    } == 0
}

/// nginx serving static files over HTTPS (certificate from ``TestPKI``), started in the
/// foreground on a private prefix, with the locations the client tests need:
///
/// | path | what |
/// | --- | --- |
/// | `/jwks.json` | a small JWK Set |
/// | `/cached.json` | the same with `Cache-Control: public, max-age=120` |
/// | `/exact.bin`, `/big.bin` | `exactSize` bytes; 256 KiB (with `Content-Length`) |
/// | `/chunked.bin` | `big.bin` streamed chunked, without `Content-Length` (`sub_filter`) |
/// | `/slow.json` | 64 KiB at 100 bytes a second |
/// | `/moved`, `/to-http` | 301 to `/jwks.json`; 302 to the plain-HTTP port |
/// | `/missing` | 404 |
/// | `/headers.json` | 403 unless `User-Agent: CurlHTTPTests/1` and `Accept: application/jwk-set+json` |
///
/// `httpPort` serves the same files without TLS; `otherNamePort` serves them with a certificate
/// for `other.example` from the trusted CA.
final class StaticHTTPSServer {
    static let jwks = """
        {"keys":[{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",\
        "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"sig","alg":"ES256","kid":"1"}]}
        """
    static let exactSize = 4096

    let port: Int
    let httpPort: Int
    let otherNamePort: Int
    let directory: String
    private let process = Process()

    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") && TestPKI.isAvailable
    }

    init(pki: TestPKI) throws {
        port = freeLoopbackPort()
        httpPort = freeLoopbackPort()
        otherNamePort = freeLoopbackPort()
        directory = "/tmp/curlhttp-nginx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let root = "\(directory)/www"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.jwks.write(toFile: "\(root)/jwks.json", atomically: true, encoding: .utf8)
        try Data(repeating: UInt8(ascii: "e"), count: Self.exactSize).write(
            to: URL(fileURLWithPath: "\(root)/exact.bin")
        )
        try Data(repeating: UInt8(ascii: "b"), count: 256 * 1024).write(to: URL(fileURLWithPath: "\(root)/big.bin"))
        try Data(repeating: UInt8(ascii: " "), count: 64 * 1024).write(to: URL(fileURLWithPath: "\(root)/slow.json"))
        let locations = """
                root \(root);
                location = /cached.json { add_header Cache-Control "public, max-age=120"; try_files /jwks.json =404; }
                location = /chunked.bin {
                    sub_filter 'b' 'b'; sub_filter_once off; sub_filter_types *; try_files /big.bin =404;
                }
                location = /slow.json { limit_rate 100; }
                location = /moved { return 301 https://localhost:\(port)/jwks.json; }
                location = /to-http { return 302 http://localhost:\(httpPort)/jwks.json; }
                location = /headers.json {
                    if ($http_user_agent != "CurlHTTPTests/1") { return 403; }
                    if ($http_accept != "application/jwk-set+json") { return 403; }
                    try_files /jwks.json =404;
                }
            """
        let configuration = """
            daemon off;
            master_process on;
            user root;
            worker_processes 1;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log info;
            events { worker_connections 64; }
            http {
                access_log off;
                default_type application/octet-stream;
                types { application/json json; }
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate \(pki.directory)/server-chain.pem;
                    ssl_certificate_key \(pki.directory)/server.key;
                \(locations)
                }
                server {
                    listen 127.0.0.1:\(otherNamePort) ssl;
                    ssl_certificate \(pki.directory)/other-name-chain.pem;
                    ssl_certificate_key \(pki.directory)/other-name.key;
                \(locations)
                }
                server {
                    listen 127.0.0.1:\(httpPort);
                \(locations)
                }
            }
            """
        try configuration.write(toFile: "\(directory)/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", directory, "-c", "\(directory)/nginx.conf", "-e", "\(directory)/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if acceptsConnections(port: port), acceptsConnections(port: httpPort),
                acceptsConnections(port: otherNamePort)
            {
                return
            }
            usleep(25_000)
        }
    }

    /// `https://localhost:PORT/path` on the main TLS port.
    func url(_ path: String) -> String { "https://localhost:\(port)\(path)" }

    var errorLog: String { (try? String(contentsOfFile: "\(directory)/error.log", encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGQUIT)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
