import Testing

@testable import FastCGI

/// Raw parameters as libfcgi would list them.
struct ArrayParameterSource: ParameterSource {
    var entries: [[UInt8]]

    init(_ pairs: [(String, String)]) { entries = pairs.map { Array("\($0.0)=\($0.1)".utf8) } }
    init(raw: [[UInt8]]) { entries = raw }

    func forEachParameter(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        for entry in entries { entry.withUnsafeBufferPointer(body) }
    }
}

/// `FCGI_STDIN` as a byte array, ending cleanly
/// or with a stream error.
final class ArrayBodySource: BodySource {
    let bytes: [UInt8]
    let endError: Int32
    private(set) var offset = 0
    private(set) var readCalls = 0

    init(_ bytes: [UInt8], endError: Int32 = 0) {
        self.bytes = bytes
        self.endError = endError
    }

    func readBody(into buffer: UnsafeMutableRawBufferPointer) -> BodyReadResult {
        readCalls += 1
        // Like FCGX_GetStr: fill the buffer unless the stream ends first.
        let count = min(buffer.count, bytes.count - offset)
        buffer.copyBytes(from: bytes[offset..<(offset + count)])
        offset += count
        return BodyReadResult(count: count, streamError: count < buffer.count ? endError : 0)
    }
}

@Suite("Request decoding")
struct RequestDecodingTests {
    // MARK: Parameters

    @Test func decodesParameters() {
        let decoder = ParameterDecoder(maximumBytes: 1000)
        let outcome = decoder.decode(
            ArrayParameterSource([("REQUEST_METHOD", "POST"), ("QUERY_STRING", "a=b=c"), ("EMPTY", "")])
        )
        #expect(outcome == .decoded(["REQUEST_METHOD": "POST", "QUERY_STRING": "a=b=c", "EMPTY": ""]))
    }

    @Test func limitCountsNamesAndValues() {
        // "AB" + "CDE" = 5 bytes.
        #expect(
            ParameterDecoder(maximumBytes: 5).decode(ArrayParameterSource([("AB", "CDE")])) == .decoded(["AB": "CDE"])
        )
        let refused = ParameterDecoder(maximumBytes: 4).decode(ArrayParameterSource([("AB", "CDE")]))
        #expect(refused == .rejected(.parametersTooLarge(limit: 4), parameters: [:]))
    }

    @Test func oversizedParametersKeepOnlyShortRoutingOnes() {
        let outcome = ParameterDecoder(maximumBytes: 3000).decode(
            ArrayParameterSource([
                ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/register"), ("HTTP_AUTHORIZATION", "Bearer secret"),
                ("PATH_INFO", String(repeating: "p", count: 2000)),
                ("HTTP_COOKIE", String(repeating: "c", count: 2000)),
            ])
        )
        #expect(
            outcome
                == .rejected(
                    .parametersTooLarge(limit: 3000),
                    parameters: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/register"]
                )
        )
    }

    static let malformedEntries: [[UInt8]] = [
        Array("NOSEPARATOR".utf8),
        Array("=value".utf8),
        [0xFF, 0x3D, 0x61],
        Array("NAME=".utf8) + [0xC3, 0x28],
        Array("NAME=".utf8) + [0xED, 0xA0, 0x80],
        Array("NAME=".utf8) + [0xF8, 0x88, 0x80, 0x80, 0x80],
    ]

    @Test(arguments: malformedEntries)
    func refusesMalformedEntries(entry: [UInt8]) {
        let outcome = ParameterDecoder(maximumBytes: 1000).decode(
            ArrayParameterSource(raw: [Array("REQUEST_METHOD=GET".utf8), entry])
        )
        guard case .rejected(.malformed, let parameters) = outcome else {
            Issue.record("expected a malformed rejection, got \(outcome)")
            return
        }
        #expect(parameters.isEmpty)
    }

    /// Valid UTF-8 beyond ASCII passes unchanged, including a U+FFFD the web server sent
    /// itself (the check for invalid UTF-8 compares the decoded bytes with the sent ones).
    @Test func validUTF8BeyondASCIIIsKeptByteForByte() {
        let outcome = ParameterDecoder(maximumBytes: 1000).decode(
            ArrayParameterSource([("REQUEST_METHOD", "GET"), ("HTTP_X_NAMÉ", "ü→\u{FFFD}😀"), ("Q", "\u{FFFD}")])
        )
        #expect(outcome == .decoded(["REQUEST_METHOD": "GET", "HTTP_X_NAMÉ": "ü→\u{FFFD}😀", "Q": "\u{FFFD}"]))
    }

    @Test func duplicateWithTheSameValueIsAccepted() {
        let outcome = ParameterDecoder(maximumBytes: 1000).decode(
            ArrayParameterSource([("HTTPS", "on"), ("HTTPS", "on")])
        )
        #expect(outcome == .decoded(["HTTPS": "on"]))
    }

    @Test func duplicateWithAnotherValueIsMalformed() {
        let outcome = ParameterDecoder(maximumBytes: 1000).decode(
            ArrayParameterSource([("SSL_CLIENT_VERIFY", "SUCCESS"), ("SSL_CLIENT_VERIFY", "NONE")])
        )
        guard case .rejected(.malformed, _) = outcome else {
            Issue.record("expected a malformed rejection, got \(outcome)")
            return
        }
    }

    @Test func loggableNamesAreShortPrintableASCII() {
        #expect(ParameterDecoder.loggable("HTTP_X\u{1B}[31m") == "HTTP_X?[31m")
        #expect(ParameterDecoder.loggable(String(repeating: "N", count: 100)).count == 64)
    }

    // MARK: CONTENT_LENGTH

    @Test(
        arguments: [
            ("0", 0), ("7", 7), ("0012", 12), ("999999999999999999", 999_999_999_999_999_999),
        ] as [(String?, Int)]
    )
    func contentLengthAcceptsDecimalDigits(value: String?, expected: Int) {
        #expect(ContentLength.parse(value) == .length(expected))
    }

    @Test(arguments: [nil, ""] as [String?])
    func contentLengthAbsentMeansToTheEndOfTheStream(value: String?) {
        #expect(ContentLength.parse(value) == .absent)
    }

    @Test(arguments: [0, 1, 99, 100])
    func bodyWithoutALengthIsReadToTheEnd(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        guard case .complete(let body) = reader.read(declaredLength: nil, from: ArrayBodySource(bytes)) else {
            Issue.record("expected a complete body")
            return
        }
        #expect(body == bytes)
    }

    /// One reader serves every request of its worker: bodies longer than its scratch buffer
    /// come whole, a body never carries bytes of the one before, and one byte past the limit
    /// is too large.
    @Test func oneReaderReadsBodiesOfUnknownLengthInTurn() {
        let limit = 3 * BodyReader.chunkSize
        let reader = BodyReader(maximumBodyBytes: limit, maximumDiscardedBytes: 4 * limit)
        for length in [limit, 40_000, 0, BodyReader.chunkSize, 3, BodyReader.chunkSize + 1, limit + 1, 5] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + length) }
            let outcome = reader.read(declaredLength: nil, from: ArrayBodySource(bytes))
            if length > limit {
                guard case .rejected(.bodyTooLarge(limit: limit), true) = outcome else {
                    Issue.record("expected bodyTooLarge for \(length) bytes")
                    continue
                }
            } else {
                guard case .complete(let body) = outcome else {
                    Issue.record("expected a complete body of \(length) bytes")
                    continue
                }
                #expect(body == bytes)
            }
        }
    }

    @Test(arguments: [101, 5000])
    func bodyWithoutALengthOverTheLimitIsTooLarge(length: Int) {
        let bytes = [UInt8](repeating: 7, count: length)
        guard
            case .rejected(.bodyTooLarge(limit: 100), true) = reader.read(
                declaredLength: nil,
                from: ArrayBodySource(bytes)
            )
        else {
            Issue.record("expected bodyTooLarge with a reusable connection")
            return
        }
    }

    @Test func repeatedRequestHeadersAreJoined() {
        // nginx 1.22 passes `X-Forwarded-For: a` and `X-Forwarded-For: b` as two parameters.
        let outcome = ParameterDecoder(maximumBytes: 1000).decode(
            ArrayParameterSource([("HTTP_X_FORWARDED_FOR", "1.1.1.1"), ("HTTP_X_FORWARDED_FOR", "2.2.2.2")])
        )
        #expect(outcome == .decoded(["HTTP_X_FORWARDED_FOR": "1.1.1.1, 2.2.2.2"]))
    }

    @Test(arguments: ["HTTP_AUTHORIZATION", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_HOST"])
    func repeatedSingletonHeadersAreMalformed(name: String) {
        let outcome = ParameterDecoder(maximumBytes: 1000).decode(ArrayParameterSource([(name, "a"), (name, "b")]))
        guard case .rejected(.malformed, _) = outcome else {
            Issue.record("expected a malformed rejection, got \(outcome)")
            return
        }
    }

    @Test(arguments: ["-1", "+1", " 1", "1 ", "1.0", "0x1", "1e2", "١", "9999999999999999999", "1,000"])
    func contentLengthRefusesAnythingElse(value: String) {
        #expect(ContentLength.parse(value) == .invalid)
    }

    // MARK: Body

    private var reader: BodyReader { BodyReader(maximumBodyBytes: 100, maximumDiscardedBytes: 1000) }

    @Test(arguments: [0, 1, 7, 8, 99, 100])
    func bodyOfTheDeclaredLengthIsComplete(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        guard case .complete(let body) = reader.read(declaredLength: length, from: ArrayBodySource(bytes)) else {
            Issue.record("expected a complete body")
            return
        }
        #expect(body == bytes)
    }

    @Test func declaredOverTheLimitIsDiscardedNotKept() {
        let source = ArrayBodySource([UInt8](repeating: 1, count: 500))
        guard case .rejected(.bodyTooLarge(limit: 100), let reusable) = reader.read(declaredLength: 500, from: source)
        else {
            Issue.record("expected bodyTooLarge")
            return
        }
        #expect(reusable)
        #expect(source.offset == 500)
    }

    @Test func discardStopsAtItsLimitAndTheConnectionIsNotReusable() {
        let source = ArrayBodySource([UInt8](repeating: 1, count: 100_000))
        guard case .rejected(.bodyTooLarge, let reusable) = reader.read(declaredLength: 100_000, from: source) else {
            Issue.record("expected bodyTooLarge")
            return
        }
        #expect(!reusable)
        #expect(source.offset < 100_000)
    }

    @Test func shorterThanDeclaredIsMalformed() {
        guard
            case .rejected(.malformed, let reusable) = reader.read(
                declaredLength: 50,
                from: ArrayBodySource([1, 2, 3])
            )
        else {
            Issue.record("expected malformed")
            return
        }
        #expect(reusable)
    }

    @Test func longerThanDeclaredWithinTheLimitIsMalformed() {
        guard case .rejected(.malformed, true) = reader.read(declaredLength: 3, from: ArrayBodySource([1, 2, 3, 4, 5]))
        else {
            Issue.record("expected malformed")
            return
        }
    }

    @Test func longerThanDeclaredPastTheLimitIsTooLarge() {
        let source = ArrayBodySource([UInt8](repeating: 1, count: 150))
        guard case .rejected(.bodyTooLarge(limit: 100), true) = reader.read(declaredLength: 10, from: source) else {
            Issue.record("expected bodyTooLarge")
            return
        }
    }

    @Test func aStreamErrorIsAConnectionFailure() {
        let source = ArrayBodySource([1, 2, 3], endError: -3)
        guard case .connectionFailed(streamError: -3) = reader.read(declaredLength: 10, from: source) else {
            Issue.record("expected a connection failure")
            return
        }
    }

    @Test func aStreamErrorRightAfterTheBodyIsAConnectionFailure() {
        let source = ArrayBodySource([1, 2, 3], endError: 104)
        guard case .connectionFailed = reader.read(declaredLength: 3, from: source) else {
            Issue.record("expected a connection failure")
            return
        }
    }
}
