/// Writes a ``FastCGIResponse`` as a CGI response head (RFC 3875 §6.2, §6.3): `Status`, the
/// handler's headers, `Content-Length`, a blank line. Refuses anything that could split or
/// smuggle a response.
enum ResponseEncoder {
    enum Problem: Error, Equatable {
        case statusOutOfRange(Int)
        case invalidHeaderName(index: Int)
        case invalidHeaderValue(index: Int)
    }

    /// The head and whether the body follows (not for 204 and 304, RFC 9110 §6.4.1, nor
    /// for a HEAD request).
    struct Head: Equatable {
        var bytes: [UInt8]
        var allowsBody: Bool
    }

    /// Header names the server writes itself; the handler's copies are dropped.
    static func isReserved(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "content-length" || lower == "status" || lower == "transfer-encoding"
    }

    /// Encodes the head. For a HEAD request (`headRequest`) the head is the one a GET
    /// would get, `Content-Length` included, and the body is left out (RFC 9110 §9.3.2).
    static func encodeHead(_ response: FastCGIResponse, headRequest: Bool = false) -> Result<Head, Problem> {
        guard (200...599).contains(response.status) else { return .failure(.statusOutOfRange(response.status)) }
        let allowsBody = response.status != 204 && response.status != 304
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 + response.headers.count * 48)
        bytes.append(contentsOf: "Status: \(response.status) \(reasonPhrase(response.status))\r\n".utf8)
        for (index, header) in response.headers.enumerated() {
            guard isToken(header.name) else { return .failure(.invalidHeaderName(index: index)) }
            guard isFieldValue(header.value) else { return .failure(.invalidHeaderValue(index: index)) }
            if isReserved(header.name) { continue }
            bytes.append(contentsOf: header.name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: header.value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if allowsBody {
            bytes.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
        return .success(Head(bytes: bytes, allowsBody: allowsBody && !headRequest))
    }

    /// The fixed answer when a handler's response cannot be written.
    static let internalErrorHead: [UInt8] = Array("Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n".utf8)

    /// RFC 9110 §5.6.2 `token`: one or more `tchar`.
    static func isToken(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// RFC 9110 §5.5 `field-value`: visible characters, spaces and tabs (and obs-text, here
    /// the bytes of non-ASCII UTF-8); never CR, LF, NUL or another control character, and no
    /// leading or trailing whitespace.
    static func isFieldValue(_ value: String) -> Bool {
        let bytes = value.utf8
        if let first = bytes.first, first == 0x20 || first == 0x09 { return false }
        if let last = bytes.last, last == 0x20 || last == 0x09 { return false }
        return bytes.allSatisfy { byte in byte == 0x09 || (0x20...0x7E).contains(byte) || byte >= 0x80 }
    }

    /// RFC 9110 §15 reason phrases.
    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 203: return "Non-Authoritative Information"
        case 204: return "No Content"
        case 205: return "Reset Content"
        case 206: return "Partial Content"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Range Not Satisfiable"
        case 417: return "Expectation Failed"
        case 421: return "Misdirected Request"
        case 422: return "Unprocessable Content"
        case 425: return "Too Early"
        case 426: return "Upgrade Required"
        case 428: return "Precondition Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
