import Testing

@testable import CredenceJSON

@Suite("Serialization")
struct SerializationTests {
    /// The RSA key of RFC 7638 §3.1, its required members given in a shuffled order.
    static let rfc7638Modulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"

    static let rfc7638ThumbprintInput =
        #"{"e":"AQAB","kty":"RSA","n":""# + rfc7638Modulus + #""}"#

    @Test("sorted keys give the exact RFC 7638 §3.1 thumbprint input")
    func rfc7638() throws {
        let key: JSONValue = ["n": .string(Self.rfc7638Modulus), "kty": "RSA", "e": "AQAB"]
        #expect(key.serializedString(sortedKeys: true) == Self.rfc7638ThumbprintInput)
        #expect(key.serialized(sortedKeys: true) == Array(Self.rfc7638ThumbprintInput.utf8))

        // The same from a parsed document in yet another order, with whitespace.
        let parsed = try JSONValue.parse(
            "{ \"kty\" : \"RSA\",\n \"n\": \"\(Self.rfc7638Modulus)\", \"e\":\"AQAB\" }"
        )
        #expect(parsed.serialized(sortedKeys: true) == Array(Self.rfc7638ThumbprintInput.utf8))
        #expect(
            parsed.objectValue?.serialized(sortedKeys: true)
                == Array(Self.rfc7638ThumbprintInput.utf8)
        )
    }

    @Test("without sortedKeys members keep their order")
    func insertionOrder() {
        let value: JSONValue = ["z": 1, "a": [true, .null], "m": "x"]
        #expect(value.serializedString() == #"{"z":1,"a":[true,null],"m":"x"}"#)
    }

    @Test("sortedKeys orders by code points, not by Swift's String ordering, at every depth")
    func codePointOrder() {
        // U+FB01 (3 UTF-8 bytes) sorts after U+00E9 (2 bytes) and after ASCII; "B" < "a".
        let value: JSONValue = [
            "\u{FB01}": 1, "\u{E9}": 2, "a": 3, "B": 4, "": 5, "aa": ["y": 1, "x": 2],
            "😀": 6,
        ]
        #expect(
            value.serializedString(sortedKeys: true)
                == "{\"\":5,\"B\":4,\"a\":3,\"aa\":{\"x\":2,\"y\":1},\"\u{E9}\":2,\"\u{FB01}\":1,\"😀\":6}"
        )
    }

    @Test("strings escape only what RFC 8259 requires")
    func escapes() {
        let value: JSONValue = .string("q\"b\\s/é€😀\u{7F}\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} ")
        #expect(
            value.serializedString()
                == #""q\"b\\s/é€😀"# + "\u{7F}" + #"\u0000\u0001\b\t\n\f\r\u001f ""#
        )
    }

    /// A plain reference escaper: one scalar at a time, exactly RFC 8259 §7's required escapes.
    static func referenceEscape(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test("a character to escape is found at every offset", arguments: 0...20)
    func escapeAtOffset(_ offset: Int) throws {
        let prefix = String(repeating: "p", count: offset)
        for special in ["\"", "\\", "\u{0}", "\u{1}", "\n", "\u{1F}", "é", "\u{7F}", "😀", " ", "/"] {
            let string = prefix + special + "0123456789abcdef"
            let value = JSONValue.string(string)
            #expect(value.serializedString() == Self.referenceEscape(string))
            #expect(try JSONValue.parse(value.serialized()) == value)
        }
    }

    @Test("numbers are written from their kept text")
    func numbers() throws {
        let text = #"[0,-0,1.50,1E+2,-12.5e-3,123456789012345678901234567890,9223372036854775807,-9223372036854775808]"#
        #expect(try JSONValue.parse(text).serializedString() == text)
        let built: JSONValue = [
            .number(JSONNumber(Int64.min)), .number(JSONNumber(UInt64.max)), 7, -7, 0.5,
            .number(JSONNumber(Double(1e300))!),
        ]
        #expect(built.serializedString() == "[-9223372036854775808,18446744073709551615,7,-7,0.5,1e+300]")
    }

    @Test("literal scalars and empty containers")
    func scalars() {
        let value: JSONValue = [.null, true, false, [], [:], ""]
        #expect(value.serializedString() == #"[null,true,false,[],{},""]"#)
        #expect(value.description == value.serializedString())
        #expect(value.serialized() == Array(value.serializedString().utf8))
    }

    @Test("serialize(into:) appends to an existing buffer")
    func append() {
        var buffer = Array("x=".utf8)
        JSONValue(["a", "b"]).serialize(into: &buffer)
        #expect(buffer == Array(#"x=["a","b"]"#.utf8))
    }
}

@Suite("Round trips")
struct RoundTripTests {
    static let documents: [String] = [
        "null", "true", "0", "-0", "1.5e-300", "\"\"",
        #"{"a":[1,2,{"b":null}],"c":"d\"e\\f\n","\u00e9":"\ud83d\ude00","empty":{},"list":[]}"#,
        #"{"iss":"https://as.example","sub":"client","aud":["x"],"exp":1700000000,"iat":1699999000,"jti":"3f2b"}"#,
        #"["\u0000\u001f\u007f","/\/",12345678901234567890.123e-45]"#,
        String(repeating: "[", count: 32) + String(repeating: "]", count: 32),
    ]

    @Test("parse(serialize(x)) == x", arguments: documents)
    func roundTrip(_ text: String) throws {
        let value = try JSONValue.parse(text)
        for sorted in [false, true] {
            let bytes = value.serialized(sortedKeys: sorted)
            #expect(try JSONValue.parse(bytes) == value)
            // Serializing is idempotent: the output is a fixed point.
            #expect(try JSONValue.parse(bytes).serialized(sortedKeys: sorted) == bytes)
        }
    }

    @Test("values built in code round-trip, including awkward strings and numbers")
    func builtValues() throws {
        var awkward = ""
        for scalar in [
            0, 1, 0x1F, 0x20, 0x22, 0x2F, 0x5C, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFD, 0xFFFF,
            0x10000, 0x10FFFF,
        ] {
            if let s = Unicode.Scalar(scalar) { awkward.unicodeScalars.append(s) }
        }
        let value: JSONValue = [
            awkward: .string(awkward),
            "numbers": [
                0.1, -0.0, .number(JSONNumber(Double.leastNonzeroMagnitude)!), 1.7976931348623157e308, 1e-05, 123.0,
            ],
            "ints": [.number(JSONNumber(Int64.max)), .number(JSONNumber(UInt64.max))],
            "e\u{301}": "decomposed", "\u{E9}": "composed",
        ]
        let parsed = try JSONValue.parse(value.serialized())
        #expect(parsed == value)
        #expect(parsed[awkward]?.stringValue?.unicodeScalars.elementsEqual(awkward.unicodeScalars) == true)
        #expect(parsed["numbers"]?[2]?.doubleValue == Double.leastNonzeroMagnitude)
        #expect(parsed["numbers"]?[0]?.doubleValue == 0.1)
        #expect(parsed["e\u{301}"] == "decomposed")
        #expect(parsed["\u{E9}"] == "composed")
    }
}
