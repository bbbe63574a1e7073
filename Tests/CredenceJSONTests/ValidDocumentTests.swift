import Testing

@testable import CredenceJSON

/// A valid document and the value it must parse to.
struct ValidCase: Sendable, CustomTestStringConvertible {
    let text: String
    let expected: JSONValue
    var testDescription: String { text }
}

@Suite("Valid documents")
struct ValidDocumentTests {
    static let cases: [ValidCase] = [
        ValidCase(text: "null", expected: .null),
        ValidCase(text: "true", expected: true),
        ValidCase(text: "false", expected: false),
        ValidCase(text: "0", expected: 0),
        ValidCase(text: "-1", expected: -1),
        ValidCase(text: "9223372036854775807", expected: .number(JSONNumber(Int64.max))),
        ValidCase(text: "-9223372036854775808", expected: .number(JSONNumber(Int64.min))),
        ValidCase(text: "1.5", expected: .number(JSONNumber(text: "1.5")!)),
        ValidCase(text: "-0", expected: .number(JSONNumber(text: "-0")!)),
        ValidCase(text: "1E+2", expected: .number(JSONNumber(text: "1E+2")!)),
        ValidCase(text: "\"\"", expected: ""),
        ValidCase(text: "\"abc\"", expected: "abc"),
        ValidCase(text: " \t\r\n\"x\" \t\r\n", expected: "x"),
        ValidCase(text: #""a\"b\\c\/d\b\f\n\r\t""#, expected: "a\"b\\c/d\u{8}\u{C}\n\r\t"),
        ValidCase(text: #""\u0041\u00e9\u20AC""#, expected: "Aé€"),
        ValidCase(text: #""\ud83d\ude00""#, expected: "😀"),
        ValidCase(text: #""\u0000""#, expected: "\u{0}"),
        ValidCase(text: "\"é€😀\"", expected: "é€😀"),
        ValidCase(text: "\"\u{7F}\"", expected: "\u{7F}"),
        ValidCase(text: "\"\u{FFFF}\u{10FFFF}\"", expected: "\u{FFFF}\u{10FFFF}"),
        ValidCase(text: "[]", expected: []),
        ValidCase(text: "{}", expected: [:]),
        ValidCase(text: "[ ]", expected: []),
        ValidCase(text: "{ }", expected: [:]),
        ValidCase(text: "[1,\"a\",null,true,[],{}]", expected: [1, "a", .null, true, [], [:]]),
        ValidCase(
            text: #"{"alg":"RS256","kid":"k1","typ":"JWT"}"#,
            expected: ["alg": "RS256", "kid": "k1", "typ": "JWT"]
        ),
        ValidCase(
            text: #" { "a" : [ 1 , { "b" : null } ] , "c" : "d" } "#,
            expected: ["a": [1, ["b": .null]], "c": "d"]
        ),
        ValidCase(
            text: #"{"iss":"s6BhdRkqt3","exp":1300819380,"aud":["a","b"],"x":{"y":{"z":[[[]]]}}}"#,
            expected: [
                "iss": "s6BhdRkqt3", "exp": 1_300_819_380, "aud": ["a", "b"],
                "x": ["y": ["z": [[[]]]]],
            ]
        ),
        // Names differing only by canonical equivalence are distinct (RFC 8259 §8.3).
        ValidCase(text: "{\"\u{E9}\":1,\"e\u{301}\":2}", expected: ["\u{E9}": 1, "e\u{301}": 2]),
        // Names are case sensitive.
        ValidCase(text: #"{"alg":1,"ALG":2}"#, expected: ["alg": 1, "ALG": 2]),
    ]

    @Test("parses to the expected value", arguments: cases)
    func parses(_ testCase: ValidCase) throws {
        let value = try JSONValue.parse(testCase.text)
        #expect(value == testCase.expected)
        // The byte entry point agrees with the String one.
        #expect(try JSONValue.parse(Array(testCase.text.utf8)) == testCase.expected)
    }

    @Test("parses non-contiguous collections and slices")
    func collections() throws {
        let text = #"{"a":[1,2,3]}"#
        let bytes = Array(text.utf8)
        #expect(try JSONValue.parse(bytes[...]) == ["a": [1, 2, 3]])
        #expect(try JSONValue.parse(text.utf8) == ["a": [1, 2, 3]])
        // A lazily mapped collection has no contiguous storage, so it is copied first.
        let lazy = bytes.lazy.map { $0 }
        #expect(try JSONValue.parse(lazy) == ["a": [1, 2, 3]])
        // A slice in the middle of a larger buffer parses only its own bytes.
        let framed = Array("xx[true]yy".utf8)
        #expect(try JSONValue.parse(framed[2..<8]) == [true])
    }

    @Test("member order is kept")
    func order() throws {
        let object = try JSONObject.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(object.names == ["z", "a", "m"])
    }

    @Test("nesting up to the limit is accepted")
    func depthAtLimit() throws {
        let limits = JSONLimits(maxDepth: 32)
        let arrays = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try JSONValue.parse(arrays, limits: limits).arrayValue != nil)
        let objects = String(repeating: #"{"a":"#, count: 32) + "1" + String(repeating: "}", count: 32)
        #expect(try JSONValue.parse(objects, limits: limits)["a"]?["a"] != nil)
    }

    @Test("input of exactly maxBytes is accepted")
    func sizeAtLimit() throws {
        let text = "\"" + String(repeating: "a", count: 98) + "\""
        #expect(try JSONValue.parse(text, limits: JSONLimits(maxBytes: 100)).stringValue?.count == 98)
    }

    @Test("strings of exactly maxStringBytes are accepted, escaped or not")
    func stringAtLimit() throws {
        let limits = JSONLimits(maxStringBytes: 4)
        #expect(try JSONValue.parse(#""abcd""#, limits: limits) == "abcd")
        #expect(try JSONValue.parse(#""ab\u00e9""#, limits: limits) == "abé")
    }

    @Test("objects with many members parse and keep unique names")
    func manyMembers() throws {
        let members = (0..<5000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let object = try JSONObject.parse("{" + members + "}")
        #expect(object.count == 5000)
        #expect(object["k4999"] == 4999)
        #expect(object["k5000"] == nil)
    }
}

@Suite("Deepest accepted values")
struct DeepValueTests {
    @Test("a value at the depth ceiling parses, compares, hashes, serializes and is freed")
    func ceiling() throws {
        let depth = JSONLimits.depthCeiling
        let limits = JSONLimits(maxDepth: depth)
        let arrays = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
        let objects = String(repeating: #"{"k":"#, count: depth) + "null" + String(repeating: "}", count: depth)
        for text in [arrays, objects] {
            let value = try JSONValue.parse(text, limits: limits)
            let copy = try JSONValue.parse(value.serialized(sortedKeys: true), limits: limits)
            #expect(copy == value)
            #expect(Set([value, copy]).count == 1)
            #expect(value.serializedString() == text)
        }
        // One level more is refused.
        do {
            _ = try JSONValue.parse("[" + arrays + "]", limits: limits)
            Issue.record("a value deeper than the ceiling was accepted")
        } catch {
            #expect(error.code == .tooDeep)
        }
    }
}
