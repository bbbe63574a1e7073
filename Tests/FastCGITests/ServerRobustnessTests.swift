import FastCGI
import Foundation
import Testing

/// Nothing a peer sends may end a worker: after each hostile input the next request is
/// served. With one worker, a dead worker would leave nobody to answer.
@Suite("FastCGI server: hostile input")
struct ServerRobustnessTests {
    /// Hostile byte sequences sent on a connection that is then closed or left to the server.
    static let hostileInputs: [(String, [UInt8])] = [
        ("garbage bytes", Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)),
        ("wrong protocol version", [2, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("begin record with request id 0", [1, 1, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        ("begin record of the wrong length", [1, 1, 0, 1, 0, 4, 0, 0, 0, 1, 0, 0]),
        ("unknown role", FastCGITestClient.beginRequest(id: 1, role: 7, keepConnection: false)),
        (
            "stdin before params",
            FastCGITestClient.beginRequest(id: 1, keepConnection: false) + FastCGITestClient.stdin(id: 1, [1, 2, 3])
        ),
        (
            "parameter length past the record",
            FastCGITestClient.beginRequest(id: 1, keepConnection: false)
                + FastCGITestClient.record(.params, id: 1, [0x80, 0xFF, 0xFF, 0xFF, 0x01, 0x41])
                + FastCGITestClient.record(.params, id: 1)
        ),
        (
            "abort before the body",
            FastCGITestClient.beginRequest(id: 1, keepConnection: false)
                + FastCGITestClient.params(id: 1, standardParameters(method: "POST", contentLength: 10))
                + FastCGITestClient.record(.abortRequest, id: 1)
        ),
        ("management record of unknown type", FastCGITestClient.record(.unknownType, id: 0, [9, 0, 0, 0, 0, 0, 0, 0])),
        ("a lone header byte", [1]),
    ]

    @Test(arguments: 0..<hostileInputs.count)
    func workerSurvivesAndServesTheNextConnection(caseIndex: Int) throws {
        let (_, bytes) = Self.hostileInputs[caseIndex]
        let server = try TestServer(workers: 1)
        defer { server.stop() }
        do {
            let hostile = try server.client()
            hostile.sendIgnoringErrors(bytes)
            hostile.shutdownWrite()
            _ = hostile.isClosedByServer()
        }
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
    }

    @Test func connectionClosedMidRecordDoesNotKillTheWorker() throws {
        let server = try TestServer(workers: 1)
        defer { server.stop() }
        do {
            let client = try server.client()
            let whole = FastCGITestClient.request(
                params: standardParameters(method: "POST", contentLength: 50),
                body: [UInt8](repeating: 1, count: 50)
            )
            // Cut inside the first STDIN record.
            try client.send(Array(whole[..<(whole.count - 30)]))
        }
        do {
            let client = try server.client()
            try client.send(Array(FastCGITestClient.beginRequest(id: 1, keepConnection: true)[..<5]))
        }
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
    }

    @Test func abortDuringTheBodyClosesOnlyThatConnection() throws {
        let server = try TestServer(workers: 1)
        defer { server.stop() }
        let aborted = try server.client()
        try aborted.send(
            FastCGITestClient.beginRequest(id: 1, keepConnection: true)
                + FastCGITestClient.params(id: 1, standardParameters(method: "POST", contentLength: 10))
                + FastCGITestClient.stdin(id: 1, Array("12345".utf8), terminate: false)
                + FastCGITestClient.record(.abortRequest, id: 1)
        )
        #expect(aborted.isClosedByServer())
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try client.readResponse().status == 200)
    }

    @Test func garbageOnAKeptAliveConnectionAfterARequestClosesIt() throws {
        let server = try TestServer(workers: 1)
        defer { server.stop() }
        let client = try server.client()
        try client.send(FastCGITestClient.request(params: standardParameters(), keepConnection: true))
        #expect(try client.readResponse().status == 200)
        try client.send(Array(repeating: 0xFF, count: 64))
        #expect(client.isClosedByServer())
        let fresh = try server.client()
        try fresh.send(FastCGITestClient.request(params: standardParameters()))
        #expect(try fresh.readResponse().status == 200)
    }

    @Test func getValuesIsAnsweredByLibfcgi() throws {
        let server = try TestServer(workers: 1)
        defer { server.stop() }
        let client = try server.client()
        let query = FastCGITestClient.nameValue(Array("FCGI_MPXS_CONNS".utf8), [])
        try client.send(FastCGITestClient.record(.getValues, id: 0, query, padding: (8 - query.count % 8) % 8))
        try client.send(FastCGITestClient.request(params: standardParameters()))
        // The GET_VALUES_RESULT comes first and is skipped by readResponse; the request is served.
        #expect(try client.readResponse().status == 200)
    }

    @Test func aSecondBeginOnTheSameConnectionIsRefusedAsMultiplexing() throws {
        let server = try TestServer(workers: 1)
        defer { server.stop() }
        let client = try server.client()
        try client.send(
            FastCGITestClient.beginRequest(id: 1, keepConnection: false)
                + FastCGITestClient.params(id: 1, standardParameters())
                + FastCGITestClient.beginRequest(id: 2, keepConnection: false)
                + FastCGITestClient.stdin(id: 1, [])
        )
        let response = try client.readResponse(id: 1)
        #expect(response.status == 200)
    }
}
