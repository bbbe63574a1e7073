/// A JSON number that keeps the exact text it was written with (RFC 8259 §6), so that a large
/// integer or a long fraction is never silently rounded on its way through the server.
///
/// Numbers are equal when their texts are equal: `1`, `1.0` and `1e0` are three different
/// numbers to this type, though all three have an ``int64Value`` of 1. Integers that fit in
/// `Int64` are held without any allocation.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// An integer in canonical form (no sign on zero, no leading zero) is stored as a binary
    /// value; everything else as its text. The constructors keep that rule, so the derived
    /// equality is equality of text.
    enum Storage: Sendable, Hashable {
        case integer(Int64)
        case text(String)
    }

    let storage: Storage

    init(storage: Storage) { self.storage = storage }

    /// A number with exactly this integer value.
    public init(_ value: Int64) { storage = .integer(value) }

    /// A number with exactly this integer value.
    public init(_ value: Int) { storage = .integer(Int64(value)) }

    /// A number with exactly this integer value, of any width (a `UInt64` above `Int64.max`
    /// keeps its digits).
    public init(_ value: some BinaryInteger) {
        if let small = Int64(exactly: value) { storage = .integer(small) } else { storage = .text(String(value)) }
    }

    /// A number written as the shortest text that reads back as `value`; `nil` for NaN and the
    /// infinities, which JSON cannot express (RFC 8259 §6).
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift's shortest round-trip form ("0.1", "1e-05", "-0.0", "1e+100") is JSON grammar.
        self.init(validatedText: value.description)
    }

    /// The number written as `text`, which must be a complete RFC 8259 §6 number (no sign `+`,
    /// no leading zero, no surrounding space); `nil` otherwise.
    public init?(text: String) {
        var copy = text
        let valid = copy.withUTF8 { bytes in
            JSONParser.numberLength(in: bytes, from: 0) == bytes.count
        }
        guard valid else { return nil }
        self.init(validatedText: text)
    }

    /// Text already known to be a JSON number: store canonical Int64 integers as binary.
    init(validatedText text: String) {
        if let value = Int64(text), text != "-0" { storage = .integer(value) } else { storage = .text(text) }
    }

    /// The number exactly as it is written in JSON.
    public var text: String {
        switch storage {
        case .integer(let value): String(value)
        case .text(let text): text
        }
    }

    /// The text, for printing.
    public var description: String { text }

    /// The value when it is an integer that fits in `Int64`, however it is written (`100`,
    /// `1e2`, `100.0`); `nil` for `1.5`, `1e400` or `9223372036854775808`. Used for JWT
    /// NumericDate claims (RFC 7519 §2) and the like.
    public var int64Value: Int64? {
        switch storage {
        case .integer(let value): value
        case .text(let text): JSONNumber.exactInteger(text)
        }
    }

    /// ``int64Value`` as an `Int`.
    public var intValue: Int? { int64Value.flatMap { Int(exactly: $0) } }

    /// The nearest `Double` (rounded as IEEE 754 decimal conversion does); `nil` when the
    /// value is too large in magnitude to be finite, such as `1e400`.
    public var doubleValue: Double? {
        switch storage {
        case .integer(let value):
            return Double(value)
        case .text(let text):
            guard let value = Double(text), value.isFinite else { return nil }
            return value
        }
    }

    /// Whether the number is an integer that fits in `Int64` (see ``int64Value``).
    public var isInt64: Bool { int64Value != nil }

    /// The exact integer value of a valid JSON number's text, if it is one within `Int64`.
    static func exactInteger(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            var i = 0
            let n = bytes.count
            var negative = false
            if i < n && bytes[i] == UInt8(ascii: "-") {
                negative = true
                i += 1
            }
            // All the digits, integer part then fraction, and the power of ten they are scaled by.
            var digits: [UInt8] = []
            var scale = 0
            while i < n, bytes[i] &- 0x30 < 10 {
                digits.append(bytes[i] &- 0x30)
                i += 1
            }
            if i < n && bytes[i] == UInt8(ascii: ".") {
                i += 1
                while i < n, bytes[i] &- 0x30 < 10 {
                    digits.append(bytes[i] &- 0x30)
                    scale -= 1
                    i += 1
                }
            }
            var exponent = 0
            if i < n && (bytes[i] | 0x20) == UInt8(ascii: "e") {
                i += 1
                var exponentNegative = false
                if i < n && bytes[i] == UInt8(ascii: "-") {
                    exponentNegative = true
                    i += 1
                } else if i < n && bytes[i] == UInt8(ascii: "+") {
                    i += 1
                }
                while i < n, bytes[i] &- 0x30 < 10 {
                    // Saturate: any exponent this large already decides the answer.
                    if exponent < 1_000_000_000 { exponent = exponent * 10 + Int(bytes[i] &- 0x30) }
                    i += 1
                }
                if exponentNegative { exponent = -exponent }
            }
            guard i == n else { return nil }
            guard let firstSignificant = digits.firstIndex(where: { $0 != 0 }) else { return 0 }
            digits.removeFirst(firstSignificant)
            while let last = digits.last, last == 0 {
                digits.removeLast()
                scale += 1
            }
            let power = scale + exponent
            guard power >= 0, digits.count + power <= 19 else { return nil }
            var magnitude: UInt64 = 0
            for digit in digits { magnitude = magnitude * 10 + UInt64(digit) }
            for _ in 0..<power {
                let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
                if overflow { return nil }
                magnitude = product
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }
    }
}

extension JSONNumber: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    /// An integer literal, so numbers can be written as `42` in code.
    public init(integerLiteral value: Int64) { self.init(value) }

    /// A floating-point literal, so numbers can be written as `0.5` in code; the literal must
    /// be finite.
    public init(floatLiteral value: Double) {
        guard let number = JSONNumber(value) else {
            preconditionFailure("JSON cannot express a non-finite number literal")
        }
        self = number
    }
}
