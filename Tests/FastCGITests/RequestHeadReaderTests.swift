import Testing

@testable import FastCGI

/// A connection as a byte array: reads come from `input` (then end of stream, or a timeout
/// when `timesOutAtEnd`), writes are collected.
struct ArrayRecordChannel: RecordChannel {
    var input: [UInt8]
    var timesOutAtEnd = false
    private(set) var offset = 0
    private(set) var written: [UInt8] = []
    /// The largest single read asked for: what the reader buffers at once.
    private(set) var largestRead = 0

    init(_ input: [UInt8], timesOutAtEnd: Bool = false) {
        self.input = input
        self.timesOutAtEnd = timesOutAtEnd
    }

    mutating func readExactly(_ buffer: UnsafeMutableRawBufferPointer) -> ChannelRead {
        largestRead = max(largestRead, buffer.count)
        let count = min(buffer.count, input.count - offset)
        buffer.copyBytes(from: input[offset..<(offset + count)])
        offset += count
        if count == buffer.count { return .complete }
        return timesOutAtEnd ? .timedOut : .endOfStream(received: count)
    }

    mutating func write(_ bytes: [UInt8]) -> Bool {
        written += bytes
        return true
    }
}

@Suite("Request head reader")
struct RequestHeadReaderTests {
    private let reader = RequestHeadReader(maximumParameterBytes: 1024, maximumDiscardedBytes: 4096)

    private func read(
        _ bytes: [UInt8],
        reader: RequestHeadReader? = nil
    ) -> (RequestHeadReader.Outcome, ArrayRecordChannel) {
        var channel = ArrayRecordChannel(bytes)
        let outcome = (reader ?? self.reader).read(from: &channel)
        return (outcome, channel)
    }

    private func entries(_ pairs: [(String, String)]) -> [[UInt8]] {
        pairs.map { Array("\($0.0)=\($0.1)".utf8) }
    }

    @Test func readsBeginAndParametersAndStopsBeforeTheBody() throws {
        let parameters = standardParameters(method: "POST", contentLength: 3)
        let head =
            FastCGITestClient.beginRequest(id: 7, keepConnection: true) + FastCGITestClient.params(id: 7, parameters)
        let (outcome, channel) = read(head + FastCGITestClient.stdin(id: 7, [1, 2, 3]))
        let expected = RequestHead(
            requestID: 7,
            role: 1,
            keepConnection: true,
            entries: entries(parameters),
            parametersTooLarge: false,
            parametersComplete: true
        )
        #expect(outcome == .request(expected))
        // Not one byte of FCGI_STDIN was taken: libfcgi reads it.
        #expect(channel.offset == head.count)
    }

    @Test func pairsSplitAcrossRecordsAndLongLengthsAreJoined() {
        let value = String(repeating: "v", count: 300)
        let stream =
            FastCGITestClient.nameValue(Array("LONG".utf8), Array(value.utf8))
            + FastCGITestClient.nameValue(Array("A".utf8), Array("b".utf8))
        // Split in the middle of the 4-byte value length, and inside the value.
        let cuts = [3, 150]
        var records: [UInt8] = []
        var start = 0
        for cut in cuts + [stream.count] {
            records += FastCGITestClient.record(.params, id: 1, Array(stream[start..<cut]), padding: 5)
            start = cut
        }
        let (outcome, _) = read(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false) + records
                + FastCGITestClient.record(.params, id: 1)
        )
        guard case .request(let head) = outcome else {
            Issue.record("no request: \(outcome)")
            return
        }
        #expect(head.entries == entries([("LONG", value), ("A", "b")]))
    }

    @Test func cleanEndBeforeARequestIsTheEndOfTheConnection() {
        #expect(read([]).0 == .endOfConnection)
        #expect(read([1, 1, 0]).0 == .failed(.closedEarly))
    }

    @Test func parametersEndingInsideAPairAreAProtocolError() {
        let (outcome, _) = read(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false)
                + FastCGITestClient.record(.params, id: 1, [4, 10, 0x41, 0x42])
                + FastCGITestClient.record(.params, id: 1)
        )
        guard case .failed(.protocolError) = outcome else {
            Issue.record("expected a protocol error, got \(outcome)")
            return
        }
    }

    /// Past the limit the reader keeps only the routing subset; the large pairs are read and
    /// thrown away, never held.
    @Test func oversizedParametersAreCountedNotKept() throws {
        let big = String(repeating: "x", count: 900)
        let parameters = [("HTTP_A", big), ("HTTP_B", big), ("HTTP_C", big)] + standardParameters()
        let (outcome, channel) = read(
            FastCGITestClient.beginRequest(id: 1, keepConnection: true) + FastCGITestClient.params(id: 1, parameters)
        )
        guard case .request(let head) = outcome else {
            Issue.record("no request: \(outcome)")
            return
        }
        #expect(head.parametersTooLarge)
        #expect(head.parametersComplete)
        // The first pair fits the limit; after it only short, routing pairs are kept.
        let names = head.entries.map { String(decoding: $0.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self) }
        #expect(
            names == [
                "HTTP_A", "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "SERVER_PROTOCOL", "REMOTE_ADDR",
                "CONTENT_LENGTH",
            ]
        )
        #expect(channel.offset == channel.input.count)
        #expect(
            ParameterDecoder(maximumBytes: 1024).decode(head, tooLarge: head.parametersTooLarge)
                == .rejected(
                    .parametersTooLarge(limit: 1024),
                    parameters: [
                        "REQUEST_METHOD": "GET", "REQUEST_URI": "/token", "SCRIPT_NAME": "/token",
                        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "192.0.2.1", "CONTENT_LENGTH": "",
                    ]
                )
        )
    }

    /// A pair announcing 2 GiB is neither allocated nor waited for: reading stops once the
    /// discard limit is passed, and the request is still refused (then the connection closed).
    @Test func aHugeAnnouncedPairStopsReadingAtTheDiscardLimit() throws {
        var stream = FastCGITestClient.nameValue(Array("REQUEST_METHOD".utf8), Array("GET".utf8))
        stream += [0x80 | 0x7F, 0xFF, 0xFF, 0xFF, 0x01]
        stream += [UInt8](repeating: 0x41, count: 60_000)
        var records = FastCGITestClient.record(.params, id: 1, stream)
        for _ in 0..<10 { records += FastCGITestClient.record(.params, id: 1, [UInt8](repeating: 0x41, count: 60_000)) }
        let (outcome, channel) = read(FastCGITestClient.beginRequest(id: 1, keepConnection: true) + records)
        guard case .request(let head) = outcome else {
            Issue.record("no request: \(outcome)")
            return
        }
        #expect(head.parametersTooLarge)
        #expect(!head.parametersComplete)
        #expect(head.entries == entries([("REQUEST_METHOD", "GET")]))
        // One record (and the next header) at a time, and not all of them.
        #expect(channel.largestRead <= 65_535 + 255 + 8)
        #expect(channel.offset < channel.input.count)
    }

    @Test func aDeadlineWhileTheParametersTrickleIsReported() {
        var channel = ArrayRecordChannel(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false)
                + FastCGITestClient.record(.params, id: 1, [1, 1, 0x41]),
            timesOutAtEnd: true
        )
        #expect(reader.read(from: &channel) == .failed(.timedOut))
    }

    @Test func getValuesIsAnsweredAndTheRequestStillRead() throws {
        let query =
            FastCGITestClient.nameValue(Array("FCGI_MPXS_CONNS".utf8), [])
            + FastCGITestClient.nameValue(Array("FCGI_MAX_REQS".utf8), [])
            + FastCGITestClient.nameValue(Array("OTHER".utf8), [])
        let (outcome, channel) = read(
            FastCGITestClient.record(.getValues, id: 0, query, padding: (8 - query.count % 8) % 8)
                + FastCGITestClient.record(.unknownType, id: 0, [0, 0, 0, 0, 0, 0, 0, 0])
                + FastCGITestClient.request(params: standardParameters())
        )
        guard case .request = outcome else {
            Issue.record("no request: \(outcome)")
            return
        }
        let answer =
            FastCGITestClient.nameValue(Array("FCGI_MPXS_CONNS".utf8), Array("0".utf8))
            + FastCGITestClient.nameValue(Array("FCGI_MAX_REQS".utf8), Array("1".utf8))
        let expected =
            FastCGITestClient.record(.getValuesResult, id: 0, answer, padding: (8 - answer.count % 8) % 8)
            + FastCGITestClient.record(.unknownType, id: 0, [11, 0, 0, 0, 0, 0, 0, 0])
        #expect(channel.written == expected)
    }

    @Test func anUnknownRoleIsAnsweredAsFastCGIRequires() {
        let (outcome, channel) = read(FastCGITestClient.beginRequest(id: 3, role: 9, keepConnection: false))
        #expect(outcome == .failed(.unknownRole(9)))
        // FCGI_END_REQUEST, protocolStatus FCGI_UNKNOWN_ROLE (FastCGI 1.0 §5.5).
        #expect(channel.written == FastCGITestClient.record(.endRequest, id: 3, [0, 0, 0, 0, 3, 0, 0, 0]))
    }

    @Test func aSecondBeginIsRefusedAsMultiplexing() {
        let (outcome, channel) = read(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false)
                + FastCGITestClient.beginRequest(id: 2, keepConnection: false)
                + FastCGITestClient.params(id: 1, standardParameters())
        )
        guard case .request(let head) = outcome else {
            Issue.record("no request: \(outcome)")
            return
        }
        #expect(head.requestID == 1)
        #expect(channel.written == FastCGITestClient.record(.endRequest, id: 2, [0, 0, 0, 0, 1, 0, 0, 0]))
    }

    @Test func aStreamRecordBeforeTheParametersEndIsAProtocolError() {
        let (outcome, _) = read(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false) + FastCGITestClient.stdin(id: 1, [1])
        )
        guard case .failed(.protocolError) = outcome else {
            Issue.record("expected a protocol error, got \(outcome)")
            return
        }
    }
}

@Suite("Peer addresses")
struct PeerAddressTests {
    @Test(arguments: [
        ("127.0.0.1", true), ("127.255.0.9", true), ("::1", true), ("0:0::1", true), ("::ffff:127.0.0.1", true),
        ("10.0.0.1", false), ("0.0.0.0", false), ("::", false), ("2001:db8::1", false), ("128.0.0.1", false),
    ])
    func loopback(text: String, isLoopback: Bool) throws {
        #expect(try #require(PeerAddress(parsing: text)).isLoopback == isLoopback)
    }

    @Test(arguments: ["localhost", "", "10.0.0", "10.0.0.0/8", "1.2.3.4 ", "::g", "fe80::1%eth0"])
    func namesAndPrefixesAreNotAddresses(text: String) {
        #expect(PeerAddress(parsing: text) == nil)
    }

    @Test func spellingsOfOneAddressAreEqual() {
        #expect(PeerAddress(parsing: "::ffff:192.0.2.1") == PeerAddress(parsing: "192.0.2.1"))
        #expect(PeerAddress(parsing: "2001:db8:0:0::1") == PeerAddress(parsing: "2001:DB8::1"))
    }
}

@Suite("Worker count default")
struct WorkerCountDefaultTests {
    /// Four workers per processor within 8...64: workers count concurrent requests, not the
    /// web servers' kept-alive connections.
    @Test(arguments: [(1, 8), (2, 8), (3, 12), (4, 16), (16, 64), (128, 64)])
    func fourPerProcessorWithinBounds(processors: Int, workers: Int) {
        #expect(FastCGIServerConfiguration.defaultWorkerCount(processors: processors) == workers)
    }
}
