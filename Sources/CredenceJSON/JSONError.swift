/// Why a JSON document was refused: an opaque ``Code`` to branch on, the byte offset where the
/// problem was found, and a ``description`` that is safe to show to a client.
///
/// Errors are equal when their codes are equal, so tests and callers compare codes, never text.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible,
    CustomDebugStringConvertible
{
    /// The kind of failure; opaque so that new kinds can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case invalidSyntax, unexpectedEnd, invalidUTF8, invalidEscape, invalidNumber
            case controlCharacter, duplicateMember, tooDeep, tooLarge, trailingData
        }

        let kind: Kind

        /// A byte that cannot start or continue a value here (RFC 8259 §2): a trailing comma,
        /// a comment, `NaN`, a single quote, a byte order mark, a missing colon.
        public static let invalidSyntax = Code(kind: .invalidSyntax)
        /// The input ended inside a value, or held no value at all.
        public static let unexpectedEnd = Code(kind: .unexpectedEnd)
        /// The bytes are not well-formed UTF-8 (RFC 8259 §8.1, RFC 3629 §4): a stray continuation
        /// byte, a truncated sequence, an overlong form, an encoded surrogate, a value past U+10FFFF.
        public static let invalidUTF8 = Code(kind: .invalidUTF8)
        /// An escape that RFC 8259 §7 does not define, or a `\u` escape that is not a scalar
        /// value or a correct surrogate pair (a lone surrogate is refused).
        public static let invalidEscape = Code(kind: .invalidEscape)
        /// A number that does not follow RFC 8259 §6: a leading zero, a missing digit, a bare `-`.
        public static let invalidNumber = Code(kind: .invalidNumber)
        /// An unescaped control character (U+0000 to U+001F) inside a string (RFC 8259 §7).
        public static let controlCharacter = Code(kind: .controlCharacter)
        /// An object names the same member twice (RFC 8259 §4, required to be refused for JOSE
        /// by RFC 7515 §5.2 and RFC 7519 §4). Names are compared after unescaping.
        public static let duplicateMember = Code(kind: .duplicateMember)
        /// Arrays and objects are nested deeper than ``JSONLimits/maxDepth``.
        public static let tooDeep = Code(kind: .tooDeep)
        /// The input is longer than ``JSONLimits/maxBytes``, or a string is longer than
        /// ``JSONLimits/maxStringBytes``.
        public static let tooLarge = Code(kind: .tooLarge)
        /// Something other than whitespace follows the value (RFC 8259 §2).
        public static let trailingData = Code(kind: .trailingData)

        /// The code's name, as written in Swift.
        public var description: String {
            switch kind {
            case .invalidSyntax: "invalidSyntax"
            case .unexpectedEnd: "unexpectedEnd"
            case .invalidUTF8: "invalidUTF8"
            case .invalidEscape: "invalidEscape"
            case .invalidNumber: "invalidNumber"
            case .controlCharacter: "controlCharacter"
            case .duplicateMember: "duplicateMember"
            case .tooDeep: "tooDeep"
            case .tooLarge: "tooLarge"
            case .trailingData: "trailingData"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The offset of the byte where the problem was found, counted from the start of the input;
    /// `nil` for errors that did not come from parsing (such as building a ``JSONObject``).
    public let offset: Int?
    /// For ``Code/duplicateMember``, the repeated member name (after unescaping). It is
    /// untrusted input: escape it before putting it anywhere but a log.
    public let memberName: String?
    /// Why, in words that are safe to show: no more than a short, escaped excerpt of the input.
    public let reason: String
    private let location: String

    init(
        code: Code,
        offset: Int?,
        memberName: String? = nil,
        reason: String,
        fileID: String,
        line: Int
    ) {
        self.code = code
        self.offset = offset
        self.memberName = memberName
        self.reason = reason
        self.location = "\(fileID):\(line)"
    }

    /// A one-line explanation with the offset, e.g. `duplicate member "alg" at offset 12`.
    public var description: String {
        if let offset { return "\(reason) at offset \(offset)" }
        return reason
    }

    /// The description with the code and the source location that raised the error, for logs.
    public var debugDescription: String {
        "JSONError.\(code): \(description) (\(location))"
    }

    /// Errors are equal when their codes are equal.
    public static func == (lhs: JSONError, rhs: JSONError) -> Bool { lhs.code == rhs.code }
}

extension JSONError {
    static func invalidSyntax(_ reason: String, at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidSyntax, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    static func unexpectedEnd(at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        Self(code: .unexpectedEnd, offset: offset, reason: "unexpected end of input", fileID: fileID, line: line)
    }

    static func invalidUTF8(at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidUTF8, offset: offset, reason: "invalid UTF-8", fileID: fileID, line: line)
    }

    static func invalidEscape(_ reason: String, at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidEscape, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    static func invalidNumber(_ reason: String, at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidNumber, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    static func controlCharacter(at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        let reason = "unescaped control character in string"
        return Self(code: .controlCharacter, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    static func duplicateMember(_ name: String, at offset: Int?, fileID: String = #fileID, line: Int = #line) -> Self {
        let reason = "duplicate member \(excerpt(name))"
        return Self(
            code: .duplicateMember,
            offset: offset,
            memberName: name,
            reason: reason,
            fileID: fileID,
            line: line
        )
    }

    static func tooDeep(limit: Int, at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        let reason = "nested deeper than \(limit) levels"
        return Self(code: .tooDeep, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    static func tooLarge(_ reason: String, at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        Self(code: .tooLarge, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    static func trailingData(at offset: Int, fileID: String = #fileID, line: Int = #line) -> Self {
        let reason = "unexpected data after the value"
        return Self(code: .trailingData, offset: offset, reason: reason, fileID: fileID, line: line)
    }

    /// A quoted, JSON-escaped and shortened copy of an untrusted name, safe for messages.
    static func excerpt(_ name: String) -> String {
        let limit = 64
        var short = Substring(name)
        var cut = false
        if name.unicodeScalars.count > limit {
            short = Substring(name.unicodeScalars.prefix(limit))
            cut = true
        }
        var bytes: [UInt8] = []
        JSONWriter.appendString(String(short), to: &bytes)
        // Show DEL and non-ASCII as `\u{…}` too, so an excerpt never carries terminal controls
        // or bidirectional overrides.
        var text = ""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if scalar.value < 0x7F {
                text.unicodeScalars.append(scalar)
            } else {
                text += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return cut ? text + "…" : text
    }
}
