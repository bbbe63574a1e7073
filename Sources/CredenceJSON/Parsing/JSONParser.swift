/// The strict RFC 8259 parser behind ``JSONValue/parse(_:limits:)``.
///
/// It reads contiguous bytes once, keeps open arrays and objects on explicit stacks instead of
/// recursing (so nesting costs heap, never stack), checks UTF-8 as it scans strings, and builds
/// each string from its bytes in one go when it holds no escape.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let limits: JSONLimits
    private var position = 0
    /// Reused buffer for strings that hold escapes.
    private var scratch: [UInt8] = []

    private init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses one complete document.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits)
        throws(JSONError) -> JSONValue
    {
        guard bytes.count <= limits.maxBytes else {
            throw .tooLarge("input longer than \(limits.maxBytes) bytes", at: limits.maxBytes)
        }
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            // RFC 8259 §8.1: implementations MUST NOT add a byte order mark; we refuse one too.
            throw .invalidSyntax("byte order mark", at: 0)
        }
        var parser = JSONParser(bytes: bytes, limits: limits)
        let value = try parser.parseDocument()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw .trailingData(at: parser.position) }
        return value
    }

    // MARK: Structure

    private enum Container { case array, object }

    private mutating func parseDocument() throws(JSONError) -> JSONValue {
        // Open containers, innermost last; `arrays` and `objects` hold the ones of each kind.
        var open: [Container] = []
        var arrays: [[JSONValue]] = []
        var objects: [JSONObject] = []
        var names: [String] = []

        nextValue: while true {
            skipWhitespace()
            guard position < bytes.count else { throw .unexpectedEnd(at: position) }
            var value: JSONValue
            switch bytes[position] {
            case UInt8(ascii: "{"):
                guard open.count < limits.maxDepth else {
                    throw .tooDeep(limit: limits.maxDepth, at: position)
                }
                position += 1
                skipWhitespace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object(JSONObject())
                } else {
                    names.append(try parseMemberName().name)
                    objects.append(JSONObject())
                    open.append(.object)
                    continue nextValue
                }
            case UInt8(ascii: "["):
                guard open.count < limits.maxDepth else {
                    throw .tooDeep(limit: limits.maxDepth, at: position)
                }
                position += 1
                skipWhitespace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    arrays.append([])
                    open.append(.array)
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            default:
                throw .invalidSyntax("unexpected character", at: position)
            }

            // A value is complete: add it to the innermost container, closing containers as
            // long as their closing bracket follows.
            while let container = open.last {
                switch container {
                case .array:
                    arrays[arrays.count - 1].append(value)
                    skipWhitespace()
                    guard position < bytes.count else { throw .unexpectedEnd(at: position) }
                    switch bytes[position] {
                    case UInt8(ascii: ","):
                        position += 1
                        continue nextValue
                    case UInt8(ascii: "]"):
                        position += 1
                        open.removeLast()
                        value = .array(arrays.removeLast())
                    default:
                        throw .invalidSyntax("expected ',' or ']'", at: position)
                    }
                case .object:
                    // The name was checked for uniqueness when it was read.
                    objects[objects.count - 1].appendUnchecked(names.removeLast(), value)
                    skipWhitespace()
                    guard position < bytes.count else { throw .unexpectedEnd(at: position) }
                    switch bytes[position] {
                    case UInt8(ascii: ","):
                        position += 1
                        let (name, offset) = try parseMemberName()
                        // RFC 7515 §5.2, RFC 7519 §4: a repeated name is refused, never resolved.
                        if objects[objects.count - 1].contains(name) {
                            throw .duplicateMember(name, at: offset)
                        }
                        names.append(name)
                        continue nextValue
                    case UInt8(ascii: "}"):
                        position += 1
                        open.removeLast()
                        value = .object(objects.removeLast())
                    default:
                        throw .invalidSyntax("expected ',' or '}'", at: position)
                    }
                }
            }
            return value
        }
    }

    /// Reads `"name" :` and returns the unescaped name with the offset of its opening quote.
    private mutating func parseMemberName() throws(JSONError) -> (name: String, offset: Int) {
        skipWhitespace()
        guard position < bytes.count else { throw .unexpectedEnd(at: position) }
        guard bytes[position] == UInt8(ascii: "\"") else {
            throw .invalidSyntax("expected a member name", at: position)
        }
        let start = position
        let name = try parseString()
        skipWhitespace()
        guard position < bytes.count else { throw .unexpectedEnd(at: position) }
        guard bytes[position] == UInt8(ascii: ":") else {
            throw .invalidSyntax("expected ':'", at: position)
        }
        position += 1
        return (name, start)
    }

    /// RFC 8259 §2: insignificant whitespace is space, tab, line feed and carriage return only.
    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Consumes `true`, `false` or `null`; the first byte is already known to match.
    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for k in 0..<count {
            guard position + k < bytes.count else { throw .unexpectedEnd(at: position + k) }
            guard bytes[position + k] == expected[k] else {
                throw .invalidSyntax("unexpected character", at: position + k)
            }
        }
        position += count
    }

    // MARK: Numbers

    /// The length of the RFC 8259 §6 number starting at `start`, or `nil` if none starts there
    /// (what follows it is not examined).
    static func numberLength(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        let n = bytes.count
        if i < n && bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n else { return nil }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if bytes[i] &- 0x31 < 9 {
            i += 1
            while i < n && bytes[i] &- 0x30 < 10 { i += 1 }
        } else {
            return nil
        }
        if i < n && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n && bytes[i] &- 0x30 < 10 else { return nil }
            while i < n && bytes[i] &- 0x30 < 10 { i += 1 }
        }
        if i < n && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < n && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < n && bytes[i] &- 0x30 < 10 else { return nil }
            while i < n && bytes[i] &- 0x30 < 10 { i += 1 }
        }
        return i - start
    }

    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = position
        let n = bytes.count
        var i = position
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < n else { throw .invalidNumber("missing digits", at: i) }
        var magnitude: UInt64 = 0
        var digitCount = 0
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < n && bytes[i] &- 0x30 < 10 {
                throw .invalidNumber("leading zero", at: start)
            }
            digitCount = 1
        } else if bytes[i] &- 0x31 < 9 {
            while i < n {
                let digit = bytes[i] &- 0x30
                guard digit < 10 else { break }
                // Up to 19 decimal digits always fit in a UInt64.
                if digitCount < 19 { magnitude = magnitude &* 10 &+ UInt64(digit) }
                digitCount += 1
                i += 1
            }
        } else {
            throw .invalidNumber("expected a digit", at: i)
        }
        var isInteger = true
        if i < n && bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < n && bytes[i] &- 0x30 < 10 else {
                throw .invalidNumber("expected a digit after '.'", at: i)
            }
            while i < n && bytes[i] &- 0x30 < 10 { i += 1 }
        }
        if i < n && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            i += 1
            if i < n && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < n && bytes[i] &- 0x30 < 10 else {
                throw .invalidNumber("expected a digit in the exponent", at: i)
            }
            while i < n && bytes[i] &- 0x30 < 10 { i += 1 }
        }
        position = i
        if isInteger && digitCount <= 19 {
            if !negative && magnitude <= UInt64(Int64.max) {
                return JSONNumber(storage: .integer(Int64(magnitude)))
            }
            if negative && magnitude != 0 && magnitude <= UInt64(Int64.max) + 1 {
                return JSONNumber(storage: .integer(Int64(truncatingIfNeeded: 0 &- magnitude)))
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        return JSONNumber(storage: .text(text))
    }

    // MARK: Strings

    /// Reads a string starting at its opening quote (RFC 8259 §7).
    private mutating func parseString() throws(JSONError) -> String {
        position += 1
        let start = position
        let n = bytes.count
        var i = start
        // Fast path: no escapes, so the string is a slice of the input.
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                try checkStringLength(i - start, at: start)
                position = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]),
                              as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw .controlCharacter(at: i) }
            if byte < 0x80 { i += 1 } else { i = try validateUTF8Sequence(at: i) }
        }
        guard i < n else { throw .unexpectedEnd(at: n) }

        // Slow path: copy runs of plain bytes and decoded escapes into the scratch buffer.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
        var runStart = i
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                try checkStringLength(scratch.count, at: start)
                position = i + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                i = try decodeEscape(at: i)
                runStart = i
                if let max = limits.maxStringBytes, scratch.count > max {
                    throw .tooLarge("string longer than \(max) bytes", at: start)
                }
                continue
            }
            if byte < 0x20 { throw .controlCharacter(at: i) }
            if byte < 0x80 { i += 1 } else { i = try validateUTF8Sequence(at: i) }
        }
        throw .unexpectedEnd(at: n)
    }

    private func checkStringLength(_ length: Int, at offset: Int) throws(JSONError) {
        if let max = limits.maxStringBytes, length > max {
            throw .tooLarge("string longer than \(max) bytes", at: offset)
        }
    }

    /// Checks one multi-byte UTF-8 sequence whose lead byte is at `i` against RFC 3629 §4
    /// (which refuses overlong forms, encoded surrogates and values past U+10FFFF) and returns
    /// the index after it.
    private func validateUTF8Sequence(at i: Int) throws(JSONError) -> Int {
        let lead = bytes[i]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw .invalidUTF8(at: i)
        }
        guard i + length <= bytes.count else { throw .invalidUTF8(at: i) }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { throw .invalidUTF8(at: i) }
        var k = 2
        while k < length {
            guard bytes[i + k] & 0xC0 == 0x80 else { throw .invalidUTF8(at: i) }
            k += 1
        }
        return i + length
    }

    /// Decodes the escape at `i` (a backslash) into the scratch buffer (RFC 8259 §7) and returns
    /// the index after it.
    private mutating func decodeEscape(at i: Int) throws(JSONError) -> Int {
        guard i + 1 < bytes.count else { throw .unexpectedEnd(at: bytes.count) }
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hexQuad(at: i + 2)
            var scalar = UInt32(unit)
            var end = i + 6
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard end + 1 < bytes.count, bytes[end] == UInt8(ascii: "\\"),
                    bytes[end + 1] == UInt8(ascii: "u")
                else { throw .invalidEscape("unpaired surrogate", at: i) }
                let next = try hexQuad(at: end + 2)
                guard (0xDC00...0xDFFF).contains(next) else {
                    throw .invalidEscape("unpaired surrogate", at: i)
                }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(next) - 0xDC00)
                end += 6
            case 0xDC00...0xDFFF:
                throw .invalidEscape("unpaired surrogate", at: i)
            default:
                break
            }
            appendUTF8(scalar)
            return end
        default:
            throw .invalidEscape("unknown escape", at: i)
        }
        return i + 2
    }

    /// Four hexadecimal digits at `i`, either case.
    private func hexQuad(at i: Int) throws(JSONError) -> UInt16 {
        guard i + 4 <= bytes.count else { throw .unexpectedEnd(at: bytes.count) }
        var value: UInt16 = 0
        for k in 0..<4 {
            let byte = bytes[i + k]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidEscape("expected four hexadecimal digits", at: i + k)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Appends a Unicode scalar value (never a surrogate) as UTF-8.
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(0xC0 | UInt8(scalar >> 6))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(0xE0 | UInt8(scalar >> 12))
            scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        default:
            scratch.append(0xF0 | UInt8(scalar >> 18))
            scratch.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            scratch.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(scalar & 0x3F))
        }
    }
}
