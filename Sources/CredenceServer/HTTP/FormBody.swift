import CredenceCore

/// An `application/x-www-form-urlencoded` body (RFC 6749 §3.2, Appendix B), parsed
/// strictly: every name at most once (RFC 6749 §3.1: "parameters MUST NOT be included
/// more than once"), valid percent-encoding and UTF-8, a bounded number of parameters.
/// A parameter sent without a value counts as omitted (RFC 6749 §3.1).
public struct FormBody: Sendable {
    /// Values by the UTF-8 bytes of their names: a `String` key would merge names that are
    /// only canonically equivalent (U+212A KELVIN SIGN and `K`), which the duplicate check,
    /// comparing bytes, keeps apart.
    private var values: [[UInt8]: String] = [:]
    /// The most parameters a body may carry.
    public static let maximumParameters = 64

    /// Parses a request body; anything malformed is `invalid_request`.
    public init(_ body: [UInt8]) throws(OAuthError) {
        var seen = 0
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            seen += 1
            guard seen <= Self.maximumParameters else {
                throw .invalidRequest("too many form parameters")
            }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusAsSpace: true), !name.isEmpty,
                let value = PercentDecoding.decode(parts.count > 1 ? parts[1] : [], plusAsSpace: true)
            else {
                throw .invalidRequest("the form body is not valid application/x-www-form-urlencoded UTF-8")
            }
            let key = Array(name.utf8)
            guard values[key] == nil else {
                throw .invalidRequest("the parameter \(Self.printable(name)) is given more than once")
            }
            values[key] = value
        }
    }

    /// Parses the body of `request`, which must be declared form-encoded.
    public init(request: HTTPRequest) throws(OAuthError) {
        guard request.mediaType == "application/x-www-form-urlencoded" else {
            throw .invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        try self.init(request.body)
    }

    /// The value of `name`; `nil` when absent or empty.
    public subscript(name: String) -> String? {
        guard let value = values[Array(name.utf8)], !value.isEmpty else {
            return nil
        }
        return value
    }

    /// A parameter name fit for an error description (short, printable ASCII).
    static func printable(_ name: String) -> String {
        let safe = name.unicodeScalars.prefix(40).map {
            $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" ? Character($0) : "?"
        }
        return String(safe)
    }
}
