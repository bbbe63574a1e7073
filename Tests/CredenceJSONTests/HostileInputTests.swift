import Testing

@testable import CredenceJSON

/// An input that must be refused, and the code it must be refused with.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let code: JSONError.Code
    var limits = JSONLimits.default

    init(_ name: String, _ text: String, _ code: JSONError.Code, limits: JSONLimits = .default) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.code = code
        self.limits = limits
    }

    init(_ name: String, bytes: [UInt8], _ code: JSONError.Code, limits: JSONLimits = .default) {
        self.name = name
        self.bytes = bytes
        self.code = code
        self.limits = limits
    }

    var testDescription: String { name }
}

/// `"` + bytes + `"`: a string literal holding raw bytes.
private func quoted(_ bytes: [UInt8]) -> [UInt8] { [0x22] + bytes + [0x22] }

@Suite("Hostile and invalid input")
struct HostileInputTests {
    static let cases: [HostileCase] = [
        // Empty and truncated input.
        HostileCase("empty input", "", .unexpectedEnd),
        HostileCase("whitespace only", " \n\t ", .unexpectedEnd),
        HostileCase("unterminated array", "[1,2", .unexpectedEnd),
        HostileCase("unterminated object", #"{"a":1"#, .unexpectedEnd),
        HostileCase("object without value", #"{"a":"#, .unexpectedEnd),
        HostileCase("object without colon", #"{"a""#, .unexpectedEnd),
        HostileCase("unterminated string", #""abc"#, .unexpectedEnd),
        HostileCase("truncated true", "tru", .unexpectedEnd),
        HostileCase("truncated escape", #""\"#, .unexpectedEnd),
        HostileCase("truncated unicode escape", #""\u00"#, .unexpectedEnd),

        // Syntax.
        HostileCase("trailing comma in array", "[1,2,]", .invalidSyntax),
        HostileCase("trailing comma in object", #"{"a":1,}"#, .invalidSyntax),
        HostileCase("leading comma", "[,1]", .invalidSyntax),
        HostileCase("double comma", "[1,,2]", .invalidSyntax),
        HostileCase("missing comma", "[1 2]", .invalidSyntax),
        HostileCase("missing colon", #"{"a" 1}"#, .invalidSyntax),
        HostileCase("unquoted name", "{a:1}", .invalidSyntax),
        HostileCase("single quotes", "['a']", .invalidSyntax),
        HostileCase("line comment", "[1]//x", .trailingData),
        HostileCase("comment inside", "[1,/*x*/2]", .invalidSyntax),
        HostileCase("NaN", "NaN", .invalidSyntax),
        HostileCase("Infinity", "Infinity", .invalidSyntax),
        HostileCase("negative Infinity", "-Infinity", .invalidNumber),
        HostileCase("True capitalised", "True", .invalidSyntax),
        HostileCase("nul literal", "nul1", .invalidSyntax),
        HostileCase("mismatched brackets", "[}", .invalidSyntax),
        HostileCase("mismatched close", #"{"a":1]"#, .invalidSyntax),
        HostileCase("close without open", "]", .invalidSyntax),
        HostileCase("byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8), .invalidSyntax),
        HostileCase("form feed is not whitespace", "\u{C}[]", .invalidSyntax),
        HostileCase("non-breaking space is not whitespace", "\u{A0}[]", .invalidSyntax),
        HostileCase("raw NUL byte", bytes: [0x5B, 0x00, 0x5D], .invalidSyntax),

        // Trailing data.
        HostileCase("garbage after value", "{} x", .trailingData),
        HostileCase("second value", "1 2", .trailingData),
        HostileCase("second document", "{}{}", .trailingData),
        HostileCase("NUL after value", bytes: Array("{}".utf8) + [0x00], .trailingData),
        HostileCase("extra close", "[]]", .trailingData),

        // Numbers.
        HostileCase("leading zero", "01", .invalidNumber),
        HostileCase("negative leading zero", "-01", .invalidNumber),
        HostileCase("leading zero in array", "[00]", .invalidNumber),
        HostileCase("bare minus", "-", .invalidNumber),
        HostileCase("minus then letter", "-a", .invalidNumber),
        HostileCase("plus sign", "+1", .invalidSyntax),
        HostileCase("leading dot", ".5", .invalidSyntax),
        HostileCase("trailing dot", "1.", .invalidNumber),
        HostileCase("dot then exponent", "1.e5", .invalidNumber),
        HostileCase("empty exponent", "1e", .invalidNumber),
        HostileCase("signed empty exponent", "1e+", .invalidNumber),
        HostileCase("hexadecimal", "0x10", .trailingData),
        HostileCase("second dot", "1.2.3", .trailingData),

        // Strings: control characters and escapes.
        HostileCase("raw newline in string", "\"a\nb\"", .controlCharacter),
        HostileCase("raw tab in string", "\"a\tb\"", .controlCharacter),
        HostileCase("raw NUL in string", bytes: quoted([0x61, 0x00]), .controlCharacter),
        HostileCase("raw control after escape", bytes: quoted([0x5C, 0x6E, 0x1F]), .controlCharacter),
        HostileCase("unknown escape", #""\x41""#, .invalidEscape),
        HostileCase("escaped single quote", #""\'""#, .invalidEscape),
        HostileCase("bad hex digit", #""\u00G0""#, .invalidEscape),
        HostileCase("uppercase U escape", #""\U0041""#, .invalidEscape),
        HostileCase("lone high surrogate", #""\ud800""#, .invalidEscape),
        HostileCase("lone high surrogate before text", #""\ud800abcdef""#, .invalidEscape),
        HostileCase("lone low surrogate", #""\udc00""#, .invalidEscape),
        HostileCase("reversed surrogate pair", #""\udc00\ud800""#, .invalidEscape),
        HostileCase("high surrogate then BMP escape", #""\ud800\u0041""#, .invalidEscape),
        HostileCase("two high surrogates", #""\ud800\ud800""#, .invalidEscape),
        HostileCase("lone surrogate in name", #"{"\udfff":1}"#, .invalidEscape),

        // UTF-8.
        HostileCase("stray continuation byte", bytes: quoted([0x80]), .invalidUTF8),
        HostileCase("invalid byte FF", bytes: quoted([0xFF]), .invalidUTF8),
        HostileCase("invalid byte FE", bytes: quoted([0xFE]), .invalidUTF8),
        HostileCase("overlong slash C0 AF", bytes: quoted([0xC0, 0xAF]), .invalidUTF8),
        HostileCase("overlong NUL C0 80", bytes: quoted([0xC0, 0x80]), .invalidUTF8),
        HostileCase("overlong C1 BF", bytes: quoted([0xC1, 0xBF]), .invalidUTF8),
        HostileCase("overlong three bytes", bytes: quoted([0xE0, 0x80, 0xAF]), .invalidUTF8),
        HostileCase("overlong four bytes", bytes: quoted([0xF0, 0x80, 0x80, 0xAF]), .invalidUTF8),
        HostileCase("encoded high surrogate", bytes: quoted([0xED, 0xA0, 0x80]), .invalidUTF8),
        HostileCase("encoded low surrogate", bytes: quoted([0xED, 0xBF, 0xBF]), .invalidUTF8),
        HostileCase(
            "encoded surrogate pair (CESU-8)",
            bytes: quoted([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]),
            .invalidUTF8
        ),
        HostileCase("past U+10FFFF", bytes: quoted([0xF4, 0x90, 0x80, 0x80]), .invalidUTF8),
        HostileCase("five-byte form", bytes: quoted([0xF8, 0x88, 0x80, 0x80, 0x80]), .invalidUTF8),
        HostileCase("truncated two-byte", bytes: quoted([0xC3]), .invalidUTF8),
        HostileCase("truncated three-byte", bytes: quoted([0xE2, 0x82]), .invalidUTF8),
        HostileCase("truncated at end of input", bytes: [0x22, 0xE2, 0x82], .invalidUTF8),
        HostileCase("bad continuation", bytes: quoted([0xE2, 0x28, 0xA1]), .invalidUTF8),
        HostileCase(
            "invalid UTF-8 in name",
            bytes: [0x7B] + quoted([0xC0, 0xAF]) + Array(":1}".utf8),
            .invalidUTF8
        ),
        HostileCase("invalid UTF-8 after escape", bytes: quoted([0x5C, 0x6E, 0xFF]), .invalidUTF8),

        // Duplicate members.
        HostileCase("duplicate member", #"{"a":1,"a":2}"#, .duplicateMember),
        HostileCase("duplicate alg", #"{"alg":"RS256","typ":"JWT","alg":"none"}"#, .duplicateMember),
        HostileCase("duplicate via escape", #"{"a":1,"\u0061":2}"#, .duplicateMember),
        HostileCase("duplicate via escaped slash", #"{"a/b":1,"a\/b":2}"#, .duplicateMember),
        HostileCase("duplicate via surrogate pair", "{\"😀\":1,\"\\ud83d\\ude00\":2}", .duplicateMember),
        HostileCase("duplicate nested", #"{"x":[{"k":1,"k":1}]}"#, .duplicateMember),
        HostileCase("duplicate with equal values", #"{"a":null,"a":null}"#, .duplicateMember),
        HostileCase(
            "duplicate in a large object",
            "{" + (0..<100).map { "\"m\($0)\":0" }.joined(separator: ",") + ",\"m42\":1}",
            .duplicateMember
        ),

        // Limits.
        HostileCase("100 000 nested arrays", String(repeating: "[", count: 100_000), .tooDeep),
        HostileCase(
            "100 000 nested arrays, closed",
            String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
            .tooDeep
        ),
        HostileCase("100 000 nested objects", String(repeating: #"{"a":"#, count: 100_000), .tooDeep),
        HostileCase(
            "33 levels with the default limit",
            String(repeating: "[", count: 33) + String(repeating: "]", count: 33),
            .tooDeep
        ),
        HostileCase("depth beyond a small limit", "[[1]]", .tooDeep, limits: JSONLimits(maxDepth: 1)),
        HostileCase("depth zero refuses containers", "[]", .tooDeep, limits: JSONLimits(maxDepth: 0)),
        HostileCase(
            "oversize input",
            "\"" + String(repeating: "a", count: 99) + "\"",
            .tooLarge,
            limits: JSONLimits(maxBytes: 100)
        ),
        HostileCase(
            "over one MiB by default",
            "\"" + String(repeating: "a", count: 1 << 20) + "\"",
            .tooLarge
        ),
        HostileCase("long string", #""abcde""#, .tooLarge, limits: JSONLimits(maxStringBytes: 4)),
        HostileCase(
            "long escaped string",
            #""\u00e9\u00e9\u00e9""#,
            .tooLarge,
            limits: JSONLimits(maxStringBytes: 4)
        ),
        HostileCase("long member name", #"{"abcde":1}"#, .tooLarge, limits: JSONLimits(maxStringBytes: 4)),
    ]

    @Test("is refused with the expected code", arguments: cases)
    func refused(_ testCase: HostileCase) {
        #expect(throws: JSONError(code: testCase.code, offset: nil, reason: "", fileID: "", line: 0)) {
            try JSONValue.parse(testCase.bytes, limits: testCase.limits)
        }
    }

    @Test(
        "the String entry point refuses the same way",
        arguments: cases.filter {
            // A String cannot hold invalid UTF-8.
            $0.code != .invalidUTF8
        }
    )
    func refusedAsString(_ testCase: HostileCase) {
        let text = String(decoding: testCase.bytes, as: UTF8.self)
        #expect(throws: JSONError(code: testCase.code, offset: nil, reason: "", fileID: "", line: 0)) {
            try JSONValue.parse(text, limits: testCase.limits)
        }
    }

    @Test("a duplicate member error carries the unescaped name and its offset")
    func duplicateDetails() {
        do {
            _ = try JSONValue.parse(#"{"alg":"RS256","\u0061lg":"none"}"#)
            Issue.record("a duplicate member was accepted")
        } catch {
            #expect(error.code == .duplicateMember)
            #expect(error.memberName == "alg")
            #expect(error.offset == 15)
        }
    }

    @Test("error offsets point at the offending byte")
    func offsets() {
        func offset(_ text: String) -> Int? {
            do {
                _ = try JSONValue.parse(text)
                return nil
            } catch { return error.offset }
        }
        #expect(offset("[1,2,]") == 5)
        #expect(offset("{} x") == 3)
        #expect(offset("\"ab\ncd\"") == 3)
        #expect(offset("") == 0)
    }

    @Test("a description never carries raw control characters from the input")
    func safeDescription() {
        do {
            _ = try JSONValue.parse("{\"\\u001b[31m\\u202e\":1,\"\\u001b[31m\\u202e\":2}")
            Issue.record("a duplicate member was accepted")
        } catch {
            #expect(error.code == .duplicateMember)
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 || $0.value >= 0x7F })
        }
    }

    @Test(
        "a non-object document is refused where an object is required",
        arguments: ["[]", "1", "\"a\"", "null", "true"]
    )
    func requireObject(_ text: String) {
        #expect(throws: JSONError(code: .invalidSyntax, offset: nil, reason: "", fileID: "", line: 0)) {
            try JSONObject.parse(text)
        }
    }

    @Test("maxDepth is clamped to the ceiling")
    func depthCeiling() {
        #expect(JSONLimits(maxDepth: 1_000_000).maxDepth == JSONLimits.depthCeiling)
        #expect(JSONLimits(maxDepth: -3).maxDepth == 0)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONError(code: .tooDeep, offset: nil, reason: "", fileID: "", line: 0)) {
            try JSONValue.parse(deep, limits: JSONLimits(maxBytes: 1 << 20, maxDepth: 1_000_000))
        }
    }
}
