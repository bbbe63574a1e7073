/// The compact RFC 8259 writer behind ``JSONValue/serialized(sortedKeys:)``: no insignificant
/// whitespace, only the escapes RFC 8259 §7 requires, numbers written from their kept text.
enum JSONWriter {
    /// Appends the JSON text of `value`.
    static func append(_ value: JSONValue, to out: inout [UInt8], sortedKeys: Bool) {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let flag):
            out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
        case .number(let number):
            appendNumber(number, to: &out)
        case .string(let string):
            appendString(string, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (i, element) in values.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out, sortedKeys: sortedKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            appendObject(object, to: &out, sortedKeys: sortedKeys)
        }
    }

    /// Appends an object; with `sortedKeys`, members go in lexicographic order of the code
    /// points of their names, as RFC 7638 §3 asks of the JWK thumbprint input. (RFC 8785 sorts
    /// by UTF-16 code units instead, which differs above U+FFFF; it is not what this does.)
    static func appendObject(_ object: JSONObject, to out: inout [UInt8], sortedKeys: Bool) {
        out.append(UInt8(ascii: "{"))
        if sortedKeys && object.count > 1 {
            let ordered = object.members.sorted { $0.name.precedesByCodePoints($1.name) }
            appendMembers(ordered, to: &out, sortedKeys: true)
        } else {
            appendMembers(object.members, to: &out, sortedKeys: sortedKeys)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func appendMembers(
        _ members: [JSONObject.Member],
        to out: inout [UInt8],
        sortedKeys: Bool
    ) {
        for (i, member) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(member.name, to: &out)
            out.append(UInt8(ascii: ":"))
            append(member.value, to: &out, sortedKeys: sortedKeys)
        }
    }

    /// Appends a number's text; binary integers are written digit by digit without a `String`.
    static func appendNumber(_ number: JSONNumber, to out: inout [UInt8]) {
        switch number.storage {
        case .text(let text):
            out.append(contentsOf: text.utf8)
        case .integer(let value):
            if value < 0 { out.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            if magnitude < 10 {
                out.append(UInt8(ascii: "0") + UInt8(magnitude))
                return
            }
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of room for 20 digits
            withUnsafeMutableBytes(of: &digits) { room in
                var start = room.count
                while magnitude > 0 {
                    start -= 1
                    room[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                }
                out.append(contentsOf: room[start...])
            }
        }
    }

    /// Appends a quoted string, escaping only `"`, `\` and U+0000 to U+001F (RFC 8259 §7);
    /// `/` and non-ASCII characters are written as they are.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            var i = 0
            while true {
                i = firstByteToEscape(in: bytes, from: i)
                guard i < bytes.count else { break }
                let byte = bytes[i]
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                i += 1
                runStart = i
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    out.append(contentsOf: "u00".utf8)
                    hex.withUTF8Buffer { digits in
                        out.append(digits[Int(byte >> 4)])
                        out.append(digits[Int(byte & 0x0F)])
                    }
                }
            }
            if runStart < bytes.count {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The index of the first byte from `start` on that must be escaped (`"`, `\\`, U+0000 to
    /// U+001F), or `bytes.count`. Eight bytes are tested at a time; the word tests can flag a
    /// byte needlessly only above a byte that truly needs escaping, so the lowest flag is exact.
    @inline(__always)
    static func firstByteToEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var i = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while i &+ 8 <= bytes.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let flags =
                    ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    | ((word &- (ones &* 0x20)) & ~word)
                let found = flags & highs
                if found != 0 { return i &+ found.trailingZeroBitCount &>> 3 }
                i &+= 8
            }
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return i }
            i += 1
        }
        return i
    }
}
