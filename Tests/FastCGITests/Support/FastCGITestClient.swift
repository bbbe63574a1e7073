import Glibc

/// A small FastCGI client speaking raw records (FastCGI 1.0 §3, §5) over POSIX sockets, with
/// receive and send timeouts so that a misbehaving server fails a test instead of hanging it.
final class FastCGITestClient: @unchecked Sendable {
    enum RecordType: UInt8 {
        case beginRequest = 1
        case abortRequest, endRequest, params, stdin, stdout, stderr, data, getValues,
            getValuesResult, unknownType
    }

    struct ClientError: Error, CustomStringConvertible {
        var description: String
    }

    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var protocolStatus: UInt8
        var bodyText: String { String(decoding: body, as: UTF8.self) }

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    let fd: Int32

    /// Connects to a unix socket.
    init(unixPath path: String, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket failed") }
        Self.setTimeouts(fd, seconds: timeoutSeconds)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard result == 0 else {
            let number = errno
            close(fd)
            throw ClientError(description: "connect to \(path) failed: errno \(number)")
        }
    }

    /// Connects to 127.0.0.1:port.
    init(tcpPort port: Int, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket failed") }
        Self.setTimeouts(fd, seconds: timeoutSeconds)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw ClientError(description: "connect to port \(port) failed")
        }
    }

    deinit { close(fd) }

    private static func setTimeouts(_ fd: Int32, seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    // MARK: Encoding

    static func record(_ type: RecordType, id: UInt16, _ content: [UInt8] = [], padding: Int = 0) -> [UInt8] {
        precondition(content.count <= 65535)
        var bytes: [UInt8] = [
            1, type.rawValue, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(content.count >> 8),
            UInt8(content.count & 0xFF), UInt8(padding), 0,
        ]
        bytes += content
        bytes += [UInt8](repeating: 0, count: padding)
        return bytes
    }

    static func beginRequest(id: UInt16, role: UInt16 = 1, keepConnection: Bool) -> [UInt8] {
        record(.beginRequest, id: id, [UInt8(role >> 8), UInt8(role & 0xFF), keepConnection ? 1 : 0, 0, 0, 0, 0, 0])
    }

    static func nameValue(_ name: [UInt8], _ value: [UInt8]) -> [UInt8] {
        func length(_ count: Int) -> [UInt8] {
            count < 128
                ? [UInt8(count)]
                : [
                    UInt8((count >> 24) | 0x80), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF),
                    UInt8(count & 0xFF),
                ]
        }
        return length(name.count) + length(value.count) + name + value
    }

    /// PARAMS records (split at 65535 bytes) and the empty one that ends them.
    static func params(id: UInt16, _ pairs: [(String, String)]) -> [UInt8] {
        rawParams(id: id, pairs.map { (Array($0.0.utf8), Array($0.1.utf8)) })
    }

    static func rawParams(id: UInt16, _ pairs: [([UInt8], [UInt8])]) -> [UInt8] {
        var stream: [UInt8] = []
        for (name, value) in pairs { stream += nameValue(name, value) }
        return chunked(.params, id: id, stream) + record(.params, id: id)
    }

    /// STDIN records for `body` (split at 65535 bytes), then the empty one unless `terminate` is false.
    static func stdin(id: UInt16, _ body: [UInt8], terminate: Bool = true) -> [UInt8] {
        chunked(.stdin, id: id, body) + (terminate ? record(.stdin, id: id) : [])
    }

    private static func chunked(_ type: RecordType, id: UInt16, _ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + 65535, bytes.count)
            out += record(type, id: id, Array(bytes[offset..<end]), padding: (8 - (end - offset) % 8) % 8)
            offset = end
        }
        return out
    }

    /// A whole request: begin, parameters, body.
    static func request(
        id: UInt16 = 1,
        params: [(String, String)],
        body: [UInt8] = [],
        keepConnection: Bool = false,
        role: UInt16 = 1
    ) -> [UInt8] {
        beginRequest(id: id, role: role, keepConnection: keepConnection) + Self.params(id: id, params)
            + stdin(id: id, body)
    }

    // MARK: I/O

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw ClientError(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Sends `bytes` and ignores a failure (the server may already have closed).
    func sendIgnoringErrors(_ bytes: [UInt8]) { try? send(bytes) }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = buffer[offset...].withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress, raw.count, 0) }
            if received == 0 { throw ClientError(description: "connection closed by the server") }
            if received < 0 { throw ClientError(description: "receive failed or timed out: errno \(errno)") }
            offset += received
        }
        return buffer
    }

    /// Reads records until `FCGI_END_REQUEST` for `id`, and parses the CGI response.
    func readResponse(id: UInt16 = 1) throws -> Response {
        var stdout: [UInt8] = []
        while true {
            let header = try readExactly(8)
            let type = header[1]
            let recordID = UInt16(header[2]) << 8 | UInt16(header[3])
            let length = Int(header[4]) << 8 | Int(header[5])
            let content = try readExactly(length)
            _ = try readExactly(Int(header[6]))
            if type == RecordType.stdout.rawValue, recordID == id {
                stdout += content
            } else if type == RecordType.endRequest.rawValue, recordID == id {
                var response = try Self.parseCGI(stdout)
                response.protocolStatus = content.count > 4 ? content[4] : 255
                return response
            }
        }
    }

    static func parseCGI(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let split = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
            throw ClientError(description: "no end of CGI headers in \(String(decoding: bytes, as: UTF8.self))")
        }
        let head = String(decoding: bytes[..<split], as: UTF8.self)
        let body = Array(bytes[(split + 4)...])
        var status = 200
        var headers: [(name: String, value: String)] = []
        for line in head.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { throw ClientError(description: "bad header line") }
            let name = String(line[..<colon])
            let value = String(line[line.index(after: colon)...].drop { $0 == " " })
            if name == "Status" {
                status = Int(value.prefix(3)) ?? -1
            }
            headers.append((name, value))
        }
        return Response(status: status, headers: headers, body: body, protocolStatus: 255)
    }

    /// True when the server has closed the connection: a read returns end of file (after
    /// discarding anything still buffered).
    func isClosedByServer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { return true }
            if received < 0 { return errno == ECONNRESET }
        }
    }

    /// True when nothing arrives within `milliseconds`.
    func staysSilent(milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) == 0
    }
}

/// The parameters nginx sends for a simple request, trimmed.
func standardParameters(
    method: String = "GET",
    uri: String = "/token",
    contentLength: Int? = nil,
    extra: [(String, String)] = []
) -> [(String, String)] {
    var pairs: [(String, String)] = [
        ("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("SCRIPT_NAME", uri), ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REMOTE_ADDR", "192.0.2.1"),
    ]
    if let contentLength {
        pairs.append(("CONTENT_LENGTH", String(contentLength)))
    } else {
        pairs.append(("CONTENT_LENGTH", ""))
    }
    return pairs + extra
}
