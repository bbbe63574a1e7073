import Testing

@testable import CredenceJSON

@Suite("JSONNumber")
struct JSONNumberTests {
    static let integerCases: [(String, Int64?)] = [
        ("0", 0), ("-0", 0), ("42", 42), ("-42", -42),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
        ("9223372036854775808", nil), ("-9223372036854775809", nil),
        ("18446744073709551616", nil), ("1.5", nil), ("1e400", nil), ("1e-400", nil),
        ("1e2", 100), ("1E+2", 100), ("100.000", 100), ("12.5e1", 125), ("1250e-1", 125),
        ("0.0", 0), ("-0.0e-7", 0), ("0e999999999999999999999", 0), ("1e-1", nil),
        ("9.223372036854775807e18", Int64.max), ("9.223372036854775808e18", nil),
        ("1e19", nil), ("1e18", 1_000_000_000_000_000_000),
        ("0.000000000000000000001e21", 1), ("100e-2", 1), ("101e-2", nil),
        ("1e99999999999999999999999999", nil),
    ]

    @Test("int64Value is the exact integer value, however written", arguments: integerCases)
    func int64Value(_ testCase: (String, Int64?)) throws {
        let number = try #require(JSONNumber(text: testCase.0))
        #expect(number.int64Value == testCase.1)
        // The parser agrees.
        #expect(try JSONValue.parse(testCase.0).int64Value == testCase.1)
    }

    @Test("doubleValue is finite or nil")
    func doubleValue() throws {
        #expect(JSONNumber(text: "1.5")?.doubleValue == 1.5)
        #expect(JSONNumber(text: "1e400")?.doubleValue == nil)
        #expect(JSONNumber(text: "-1e400")?.doubleValue == nil)
        #expect(JSONNumber(text: "1e-400")?.doubleValue == 0)
        #expect(JSONNumber(42).doubleValue == 42)
        #expect(try JSONValue.parse("2.5").doubleValue == 2.5)
    }

    @Test("text is kept exactly", arguments: ["1.0", "1E2", "-0", "0.10", "1e+0", "123456789012345678901234567890"])
    func keepsText(_ text: String) throws {
        #expect(JSONNumber(text: text)?.text == text)
        #expect(try JSONValue.parse(text).numberValue?.text == text)
    }

    @Test(
        "init(text:) refuses what is not a JSON number",
        arguments: ["", "-", "+1", "01", "1.", ".1", "1e", "NaN", "Infinity", " 1", "1 ", "0x1", "1_000"]
    )
    func refusesText(_ text: String) {
        #expect(JSONNumber(text: text) == nil)
    }

    @Test("initialisers from Swift numbers")
    func initialisers() {
        #expect(JSONNumber(7).text == "7")
        #expect(JSONNumber(Int64(-7)).text == "-7")
        #expect(JSONNumber(UInt64.max).text == "18446744073709551615")
        #expect(JSONNumber(UInt64.max).int64Value == nil)
        #expect(JSONNumber(Double(0.5))?.text == "0.5")
        #expect(JSONNumber(0.25).text == "0.25")  // a literal initialises directly
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(-Double.infinity) == nil)
        #expect(JSONValue(Double.nan) == nil)
        #expect(JSONValue(3) == .number(JSONNumber(3)))
    }

    @Test(
        "Double text is always a valid JSON number that reads back exactly",
        arguments: [
            0.0, -0.0, 1.0, 0.1, 1e-5, 1e-7, 1e16, 1e21, Double.leastNonzeroMagnitude, 1.7976931348623157e308,
            -123.456, 2.2250738585072014e-308,
        ]
    )
    func doubleText(_ value: Double) throws {
        let number = try #require(JSONNumber(value))
        #expect(JSONNumber(text: number.text) == number)
        #expect(number.doubleValue == value)
        #expect(number.doubleValue?.sign == value.sign)
    }

    @Test("equality is equality of text; integers are canonical either way")
    func equality() throws {
        #expect(JSONNumber(5) == JSONNumber(text: "5"))
        #expect(try JSONValue.parse("5") == 5)
        #expect(JSONNumber(text: "5.0") != JSONNumber(5))
        #expect(JSONNumber(text: "-0") != JSONNumber(0))
        #expect(Set([JSONNumber(5), JSONNumber(text: "5")!, JSONNumber(Int64(5))]).count == 1)
    }
}
