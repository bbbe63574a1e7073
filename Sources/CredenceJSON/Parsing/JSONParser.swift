/// The strict RFC 8259 parser behind ``JSONValue/parse(_:limits:)``.
///
/// It reads contiguous bytes once, keeps open arrays and objects in a loop's own state instead of
/// recursing (so nesting costs heap, never stack), checks UTF-8 as it scans strings eight bytes
/// at a time, and builds each string from its bytes in one go when it holds no escape.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let limits: JSONLimits
    /// ``JSONLimits/maxStringBytes``, with `Int.max` for no limit.
    private let maxStringBytes: Int
    private var position = 0
    /// Reused buffer for strings that hold escapes.
    private var scratch: [UInt8] = []

    private init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
        self.maxStringBytes = limits.maxStringBytes ?? Int.max
    }

    /// Parses one complete document.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits) throws(JSONError) -> JSONValue {
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

    /// An array or object still open, with what has been read of it so far.
    private struct OpenContainer {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [JSONObject.Member] = []
        /// The name of the member whose value is being read.
        var pendingName = ""
        /// Positions of the names, once an object is large enough for a linear duplicate scan
        /// to matter (``JSONObject/indexThreshold``); handed on to the finished object.
        var index: [CodePointString: Int]? = nil

        init(isObject: Bool) { self.isObject = isObject }

        /// Whether `name` is new to this object. Small objects are scanned; large ones keep an
        /// index, so that a hostile object with many members costs linear, not quadratic, time.
        func isNewName(_ name: String) -> Bool {
            if index != nil {
                return index?[CodePointString(name)] == nil
            }
            for member in members where member.name.hasSameCodePoints(as: name) { return false }
            return true
        }

        /// Appends the member whose name is pending, keeping the index up to date.
        mutating func appendMember(_ value: JSONValue) {
            members.append(JSONObject.Member(name: pendingName, value: value))
            if index != nil {
                index?[CodePointString(pendingName)] = members.count - 1
            } else if members.count > JSONObject.indexThreshold {
                var index: [CodePointString: Int] = [:]
                index.reserveCapacity(members.count * 2)
                for (i, member) in members.enumerated() { index[CodePointString(member.name)] = i }
                self.index = index
            }
        }
    }

    private mutating func parseDocument() throws(JSONError) -> JSONValue {
        // The innermost open container is a local, so appending to it happens in place; the
        // containers around it wait on `parents`, which a flat document never allocates.
        // Nesting costs heap, never stack.
        var current = OpenContainer(isObject: false)
        var parents: [OpenContainer] = []
        var depth = 0

        nextValue: while true {
            skipWhitespace()
            guard position < bytes.count else { throw .unexpectedEnd(at: position) }
            var value: JSONValue
            switch bytes[position] {
            case UInt8(ascii: "{"):
                guard depth < limits.maxDepth else {
                    throw .tooDeep(limit: limits.maxDepth, at: position)
                }
                position += 1
                skipWhitespace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object(JSONObject())
                } else {
                    if depth > 0 { parents.append(current) }
                    current = OpenContainer(isObject: true)
                    current.members.reserveCapacity(4)
                    current.pendingName = try parseMemberName().name
                    depth += 1
                    continue nextValue
                }
            case UInt8(ascii: "["):
                guard depth < limits.maxDepth else {
                    throw .tooDeep(limit: limits.maxDepth, at: position)
                }
                position += 1
                skipWhitespace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    if depth > 0 { parents.append(current) }
                    current = OpenContainer(isObject: false)
                    depth += 1
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
            while depth > 0 {
                if current.isObject {
                    current.appendMember(value)
                } else {
                    current.elements.append(value)
                }
                skipWhitespace()
                guard position < bytes.count else { throw .unexpectedEnd(at: position) }
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: ",") {
                    if current.isObject {
                        let (name, offset) = try parseMemberName()
                        // RFC 7515 §5.2, RFC 7519 §4: a repeated name is refused, never resolved.
                        guard current.isNewName(name) else {
                            throw .duplicateMember(name, at: offset)
                        }
                        current.pendingName = name
                    }
                    continue nextValue
                }
                if current.isObject {
                    guard byte == UInt8(ascii: "}") else {
                        throw .invalidSyntax("expected ',' or '}'", at: position - 1)
                    }
                    value = .object(JSONObject(uniqueMembers: current.members, index: current.index))
                } else {
                    guard byte == UInt8(ascii: "]") else {
                        throw .invalidSyntax("expected ',' or ']'", at: position - 1)
                    }
                    value = .array(current.elements)
                }
                depth -= 1
                if let parent = parents.popLast() { current = parent }
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
            i = skipPlainASCII(from: i)
            guard i < n else { break }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                try checkStringLength(i - start, at: start)
                position = i + 1
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<i])
                return String(unsafeUninitializedCapacity: slice.count) { target in
                    _ = target.initialize(fromContentsOf: slice)
                    return slice.count
                }
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
                try checkStringLength(scratch.count, at: start)
                continue
            }
            if byte < 0x20 { throw .controlCharacter(at: i) }
            if byte < 0x80 { i += 1 } else { i = try validateUTF8Sequence(at: i) }
        }
        throw .unexpectedEnd(at: n)
    }

    /// Skips eight bytes at a time while none of them is `"`, `\\`, a control character or
    /// non-ASCII, and returns the index of the first such byte (or of the last few bytes of the
    /// input, which the byte-wise loop reads). The word tests can flag a byte needlessly only
    /// above a byte that is truly flagged, so the lowest flag is exact.
    @inline(__always)
    private func skipPlainASCII(from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = start
        while i &+ 8 <= bytes.count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            // A byte is flagged if it is zero after the XOR (a quote or a backslash), below 0x20,
            // or has its high bit set (non-ASCII).
            let flags =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                | (word &- (ones &* 0x20)) | word
            let found = flags & highs
            if found != 0 { return i &+ found.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        return i
    }

    @inline(__always)
    private func checkStringLength(_ length: Int, at offset: Int) throws(JSONError) {
        if length > maxStringBytes {
            throw .tooLarge("string longer than \(maxStringBytes) bytes", at: offset)
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
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
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
                guard end < bytes.count else { throw .unexpectedEnd(at: end) }
                guard bytes[end] == UInt8(ascii: "\\") else {
                    throw .invalidEscape("unpaired surrogate", at: i)
                }
                guard end + 1 < bytes.count else { throw .unexpectedEnd(at: end + 1) }
                guard bytes[end + 1] == UInt8(ascii: "u") else {
                    throw .invalidEscape("unpaired surrogate", at: i)
                }
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
