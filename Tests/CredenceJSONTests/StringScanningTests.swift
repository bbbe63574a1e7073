import Testing

@testable import CredenceJSON

/// The string scanner reads eight bytes at a time; these tests put every kind of special byte
/// at every offset within and around a word, and at the very end of the input.
@Suite("String scanning at every offset")
struct StringScanningTests {
    static let lengths = Array(0...20)

    @Test("plain ASCII strings of every length, alone and inside containers", arguments: lengths)
    func plain(_ length: Int) throws {
        let text = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x61 + $0 % 26))) })
        #expect(try JSONValue.parse("\"\(text)\"") == .string(text))
        #expect(try JSONValue.parse("[\"\(text)\"]") == [.string(text)])
        #expect(try JSONValue.parse("{\"\(text)\":\"\(text)\"}") == [text: .string(text)])
    }

    @Test("a special byte at every offset is found", arguments: lengths)
    func specialAtOffset(_ offset: Int) throws {
        let prefix = String(repeating: "x", count: offset)
        let suffix = String(repeating: "y", count: 11)
        // An escaped quote and backslash are decoded, not taken as the end.
        #expect(try JSONValue.parse("\"\(prefix)\\\"\(suffix)\"") == .string(prefix + "\"" + suffix))
        #expect(try JSONValue.parse("\"\(prefix)\\\\\(suffix)\"") == .string(prefix + "\\" + suffix))
        // Non-ASCII is kept.
        #expect(try JSONValue.parse("\"\(prefix)é€😀\(suffix)\"") == .string(prefix + "é€😀" + suffix))
        // DEL and space are plain.
        #expect(try JSONValue.parse("\"\(prefix)\u{7F} \(suffix)\"") == .string(prefix + "\u{7F} " + suffix))

        let quotedPrefix = [UInt8(ascii: "\"")] + Array(prefix.utf8)
        let tail = Array(suffix.utf8) + [UInt8(ascii: "\"")]
        for control: UInt8 in [0x00, 0x01, 0x09, 0x0A, 0x1F] {
            expectCode(.controlCharacter, quotedPrefix + [control] + tail)
        }
        for invalid: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xF4, 0x90, 0x80, 0x80]] {
            expectCode(.invalidUTF8, quotedPrefix + invalid + tail)
        }
        // The closing quote in the middle of a word ends the string exactly there.
        expectCode(.trailingData, quotedPrefix + [UInt8(ascii: "\"")] + tail)
    }

    @Test("input that ends inside a string at every offset", arguments: lengths)
    func truncated(_ length: Int) {
        let bytes = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "z"), count: length)
        expectCode(.unexpectedEnd, bytes)
        expectCode(.invalidUTF8, bytes + [0xE2, 0x82])
    }

    @Test("a string parsed from the middle of a larger buffer never reads past its end")
    func sliceBoundary() throws {
        // The slice ends just before a closing quote that lies in the parent buffer.
        let framed = Array("\"abcdefghijklmnop\"".utf8)
        expectCode(.unexpectedEnd, Array(framed[0..<17]))
        let slice = framed[0..<17]
        #expect(throws: JSONError.self) { try JSONValue.parse(slice) }
        #expect(try JSONValue.parse(framed[...]) == "abcdefghijklmnop")
    }

    private func expectCode(
        _ code: JSONError.Code,
        _ bytes: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let value = try JSONValue.parse(bytes)
            Issue.record("accepted \(value), expected \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
        }
    }
}
