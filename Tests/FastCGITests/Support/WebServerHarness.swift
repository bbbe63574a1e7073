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

/// One HTTP/1.1 exchange over a fresh loopback connection (`Connection: close`), for talking
/// to a real web server without depending on curl.
func httpExchange(
    port: Int,
    method: String,
    path: String,
    body: [UInt8] = [],
    timeoutSeconds: Int = 15
) -> (
    status: Int, body: String
)? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return nil }
    var request = Array(
        "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: \(body.count)\r\n\r\n"
            .utf8
    )
    request += body
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
        return nil
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        response += buffer[..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard text.hasPrefix("HTTP/1."), let status = Int(text.dropFirst(9).prefix(3)) else { return nil }
    guard let split = text.range(of: "\r\n\r\n") else { return (status, "") }
    let head = text[..<split.lowerBound].lowercased()
    var body = String(text[split.upperBound...])
    if head.contains("transfer-encoding: chunked") {
        // Decode chunked transfer coding (RFC 9112 §7.1), as Apache sends it.
        var decoded = ""
        var rest = Substring(body)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            guard let end = rest.index(start, offsetBy: size, limitedBy: rest.endIndex) else { break }
            decoded += rest[start..<end]
            rest = rest[end...].dropFirst(2)
        }
        body = decoded
    }
    return (status, body)
}

/// nginx started in the foreground on a private prefix, in front of a unix socket.
final class NginxInstance {
    let port: Int
    let directory: String
    private let process = Process()

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") }

    init(socketPath: String, workerProcesses: Int, keepalive: Int, readTimeoutSeconds: Int = 10) throws {
        port = freeLoopbackPort()
        directory = "/tmp/fcgi-nginx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = """
            daemon off;
            master_process on;
            user root;
            worker_processes \(workerProcesses);
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log info;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                fastcgi_temp_path \(directory)/fastcgi;
                proxy_temp_path \(directory)/proxy;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                upstream credence {
                    server unix:\(socketPath);
                    keepalive \(keepalive);
                }
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size 64k;
                    location / {
                        include /etc/nginx/fastcgi_params;
                        fastcgi_pass credence;
                        fastcgi_keep_conn on;
                        fastcgi_read_timeout \(readTimeoutSeconds)s;
                    }
                }
            }
            """
        try configuration.write(toFile: "\(directory)/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", directory, "-c", "\(directory)/nginx.conf", "-e", "\(directory)/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when it accepts connections.
        for _ in 0..<200 {
            if httpProbe(port: port) { return }
            usleep(25_000)
        }
    }

    private func httpProbe(port: Int) -> Bool {
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

    var errorLog: String { (try? String(contentsOfFile: "\(directory)/error.log", encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGQUIT)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Apache httpd (mpm_event, mod_proxy_fcgi) started in the foreground on a private server
/// root, in front of a unix socket.
final class ApacheInstance {
    let port: Int
    let directory: String
    private let process = Process()

    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/apache2")
            && FileManager.default.fileExists(atPath: "/usr/lib/apache2/modules/mod_proxy_fcgi.so")
    }

    /// `proxyParameters` are appended to `ProxyPass` (for example `enablereuse=on max=4`).
    init(socketPath: String, threadsPerChild: Int, proxyParameters: String) throws {
        port = freeLoopbackPort()
        directory = "/tmp/fcgi-apache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let modules = "/usr/lib/apache2/modules"
        let configuration = """
            ServerRoot "\(directory)"
            ServerName localhost
            Listen 127.0.0.1:\(port)
            PidFile \(directory)/httpd.pid
            ErrorLog \(directory)/error.log
            LogLevel warn
            LoadModule mpm_event_module \(modules)/mod_mpm_event.so
            LoadModule authz_core_module \(modules)/mod_authz_core.so
            LoadModule proxy_module \(modules)/mod_proxy.so
            LoadModule proxy_fcgi_module \(modules)/mod_proxy_fcgi.so
            User www-data
            Group www-data
            StartServers 1
            ServerLimit 1
            ThreadsPerChild \(threadsPerChild)
            ThreadLimit \(threadsPerChild)
            MaxRequestWorkers \(threadsPerChild)
            MinSpareThreads 1
            MaxSpareThreads \(threadsPerChild)
            ProxyPass "/" "unix:\(socketPath)|fcgi://credence/" \(proxyParameters)
            """
        try configuration.write(toFile: "\(directory)/httpd.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/apache2")
        // One process (-X), so that stopping it cannot leave children behind: a process
        // spawned from a Dispatch thread starts with SIGTERM blocked, which Apache keeps.
        process.arguments = ["-d", directory, "-f", "\(directory)/httpd.conf", "-X"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if httpExchange(port: port, method: "GET", path: "/", timeoutSeconds: 5) != nil { return }
            usleep(25_000)
        }
    }

    var errorLog: String { (try? String(contentsOfFile: "\(directory)/error.log", encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
