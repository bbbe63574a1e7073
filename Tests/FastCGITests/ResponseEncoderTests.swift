import Testing

@testable import FastCGI

@Suite("Response encoding")
struct ResponseEncoderTests {
    private func head(_ response: FastCGIResponse) throws -> String {
        let head = try ResponseEncoder.encodeHead(response).get()
        return String(decoding: head.bytes, as: UTF8.self)
    }

    @Test func writesStatusHeadersAndContentLength() throws {
        let text = try head(
            FastCGIResponse(
                status: 200,
                headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
                body: Array("{}".utf8)
            )
        )
        #expect(
            text
                == "Status: 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: 2\r\n\r\n"
        )
    }

    @Test func dropsHeadersTheServerWritesItself() throws {
        let text = try head(
            FastCGIResponse(
                status: 413,
                headers: [("content-length", "1"), ("Status", "200 OK"), ("Transfer-Encoding", "chunked")]
            )
        )
        #expect(text == "Status: 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
    }

    @Test(arguments: [204, 304])
    func noContentLengthOrBodyWhereHTTPForbidsABody(status: Int) throws {
        let encoded = try ResponseEncoder.encodeHead(FastCGIResponse(status: status, body: [1, 2])).get()
        #expect(!encoded.allowsBody)
        #expect(!String(decoding: encoded.bytes, as: UTF8.self).contains("Content-Length"))
    }

    @Test func repeatedHeadersKeepTheirOrder() throws {
        let text = try head(FastCGIResponse(status: 200, headers: [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]))
        #expect(text.contains("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"))
    }

    @Test func unknownStatusGetsAGenericReason() throws {
        #expect(try head(FastCGIResponse(status: 299)).hasPrefix("Status: 299 Status 299\r\n"))
    }

    @Test(arguments: [0, 99, 100, 101, 199, 600, -200, 1000])
    func statusOutsideTheWritableRangeIsRefused(status: Int) {
        #expect(ResponseEncoder.encodeHead(FastCGIResponse(status: status)) == .failure(.statusOutOfRange(status)))
    }

    @Test(arguments: ["", "Bad Name", "Bad:Name", "Bad\r\nName", "Ünicode", "(paren)", "a\u{0}b", "semi;colon"])
    func invalidHeaderNamesAreRefused(name: String) {
        let result = ResponseEncoder.encodeHead(FastCGIResponse(status: 200, headers: [("X-Ok", "1"), (name, "v")]))
        #expect(result == .failure(.invalidHeaderName(index: 1)))
    }

    @Test(arguments: [
        "a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\u{0}b", "\u{7F}", " leading", "trailing\t", "bell\u{7}",
    ])
    func invalidHeaderValuesAreRefused(value: String) {
        let result = ResponseEncoder.encodeHead(FastCGIResponse(status: 200, headers: [("X-Value", value)]))
        #expect(result == .failure(.invalidHeaderValue(index: 0)))
    }

    @Test(arguments: ["", "plain", "with inner  spaces", "tab\tinside", "ünïcödé", "Bearer abc.def-ghi_jkl~"])
    func validHeaderValuesAreWritten(value: String) throws {
        #expect(try head(FastCGIResponse(status: 200, headers: [("X-Value", value)])).contains("X-Value: \(value)\r\n"))
    }
}
