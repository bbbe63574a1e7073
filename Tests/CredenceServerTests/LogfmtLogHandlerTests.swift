import Foundation
import Logging
import Synchronization
import Testing

@testable import CredenceServer

/// The logfmt line, byte for byte, and the guarantee that concurrent lines never mix.
@Suite struct LogfmtLogHandlerTests {
    /// The reference: the C library's `gmtime_r`, which the handler no longer calls.
    static func reference(_ seconds: Int64, _ milliseconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            parts.tm_year + 1900,
            parts.tm_mon + 1,
            parts.tm_mday,
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec,
            milliseconds
        )
    }

    @Test(
        arguments: [
            0, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 951_868_800 /* 2000-03-01 */,
            1_078_012_799 /* 2004-02-28T23:59:59 */, 1_709_164_800 /* 2024-02-29 */,
            1_735_689_599 /* 2024-12-31T23:59:59 */,
            2_147_483_647, 4_107_542_399 /* 2100-02-28T23:59:59 */, 4_107_542_400 /* 2100-03-01 */, 253_402_300_799,
        ] as [Int64]
    )
    func timestampsAgreeWithGmtime(seconds: Int64) {
        #expect(LogfmtLogHandler.timestamp(seconds: seconds, milliseconds: 7) == Self.reference(seconds, 7))
    }

    @Test func timestampsAgreeWithGmtimeOverManyDays() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let seconds = Int64.random(in: 0...4_102_444_800, using: &generator)
            let milliseconds = Int.random(in: 0...999, using: &generator)
            let line = LogfmtLogHandler.timestamp(seconds: seconds, milliseconds: milliseconds)
            #expect(line == Self.reference(seconds, milliseconds), "\(seconds)")
        }
    }

    @Test func theLineHasItsFixedFieldsThenSortedMetadataWithTheEventWinning() {
        let line = LogfmtLogHandler.line(
            seconds: 1_709_164_800,
            nanoseconds: 123_999_999,
            level: .notice,
            label: "credence.access",
            message: "request",
            handlerMetadata: ["fastcgi.worker": "3", "http.status": "0"],
            eventMetadata: [
                "http.status": .stringConvertible(200), "http.path": "/jwks", "a.list": ["x", "y z"],
                "a.map": ["k": "v", "b": "c"],
            ]
        )
        #expect(
            String(decoding: line, as: UTF8.self)
                == "ts=2024-02-29T00:00:00.123Z level=notice logger=credence.access msg=request "
                + "a.list=\"x,y z\" a.map=b:c,k:v fastcgi.worker=3 http.path=/jwks http.status=200\n"
        )
    }

    @Test(arguments: [
        ("plain", "plain"), ("", "\"\""), ("a b", "\"a b\""), ("a=b", "\"a=b\""), ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("back\\slash", "\"back\\\\slash\""), ("line\nbreak", "\"line\\nbreak\""), ("cr\rtab\t", "\"cr\\rtab\\t\""),
        ("esc\u{1B}[0m", "\"esc\\u{1b}[0m\""), ("nul\u{0}", "\"nul\\u{0}\""), ("del\u{7F}", "\"del\\u{7f}\""),
        ("naïve→ü", "naïve→ü"), ("naïve ü", "\"naïve ü\""),
    ])
    func valuesAreQuotedAndEscapedSoThatTheyCannotStartAFieldOrALine(value: String, written: String) {
        #expect(LogfmtLogHandler.quoted(value) == written)
        let line = LogfmtLogHandler.line(
            seconds: 0,
            nanoseconds: 0,
            level: .info,
            label: "l",
            message: value,
            handlerMetadata: [:],
            eventMetadata: ["k": .string(value)]
        )
        #expect(
            String(decoding: line, as: UTF8.self)
                == "ts=1970-01-01T00:00:00.000Z level=info logger=l msg=\(written) k=\(written)\n"
        )
    }

    @Test(arguments: [
        ("http.status", "http.status"), ("a b=c\"d\n", "abcd"), ("oauth_client-id.2", "oauth_client-id.2"),
        ("clé→ß", "cléß"), ("数字.x", "数字.x"), ("", ""),
    ])
    func keysKeepOnlyLettersDigitsDotsUnderscoresAndDashes(key: String, written: String) {
        #expect(LogfmtLogHandler.sanitizedKey(key) == written)
    }

    /// Workers write short lines and, now and then, a line far longer than a pipe's
    /// capacity, into one pipe: every line read back is whole.
    @Test func concurrentShortAndLongLinesNeverMix() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let sink = LogfmtLogHandler.Sink(fileDescriptor: ends[1])
        let writers = 8
        let linesEach = 400
        let long = String(repeating: "x", count: 100_000)
        let collected = Mutex<[UInt8]>([])
        let readerDone = DispatchSemaphore(value: 0)
        let readEnd = ends[0]
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                collected.withLock { $0.append(contentsOf: buffer[..<count]) }
            }
            readerDone.signal()
        }
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            let logger = Logger(label: "w\(writer)") { LogfmtLogHandler(label: $0, sink: sink) }
            for index in 0..<linesEach {
                if index % 50 == 7 {
                    logger.info("long", metadata: ["n": "\(index)", "body": .string(long)])
                } else {
                    logger.info("short", metadata: ["n": "\(index)"])
                }
            }
        }
        close(ends[1])
        #expect(readerDone.wait(timeout: .now() + 60) == .success)
        let lines = collected.withLock { $0 }.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .dropLast()
        #expect(lines.count == writers * linesEach)
        var seen = Set<String>()
        for line in lines {
            let text = String(decoding: line, as: UTF8.self)
            let shape = text.firstMatch(of: /^ts=\S+ level=info logger=(w\d) msg=(short|long) (?:body=(x+) )?n=(\d+)$/)
            guard let shape else {
                Issue.record("a mixed line: \(text.prefix(120))…")
                continue
            }
            if shape.output.2 == "long" { #expect(shape.output.3?.count == long.count) }
            seen.insert("\(shape.output.1)/\(shape.output.4)")
        }
        #expect(seen.count == writers * linesEach)
    }
}
