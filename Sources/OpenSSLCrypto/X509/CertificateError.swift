/// Why a certificate, a PEM bundle, a CRL or a distinguished-name string was refused.
///
/// Equal by ``code`` only, so tests and callers compare codes, never strings.
/// ``description`` is safe to show to a client (it names the rule, never the
/// input); ``debugDescription`` carries the details (OpenSSL's error queue,
/// offsets, the source location) for the log.
public struct CertificateError: Error, Hashable, Sendable, CustomStringConvertible,
    CustomDebugStringConvertible
{
    /// The kind of failure: compare this, never the text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case empty, tooLarge, invalidPercentEncoding, notPEM, malformedPEM,
                unexpectedPEMLabel, invalidBase64, multipleCertificates, malformedDER,
                malformedField, invalidDistinguishedName, unknownAttributeType,
                fileUnreadable, noCertificates, malformedCRL, internalError
        }
        fileprivate let backing: Backing

        /// The input held nothing (or only whitespace): no certificate was presented.
        public static let empty = Code(backing: .empty)
        /// The input exceeds the size cap for its kind.
        public static let tooLarge = Code(backing: .tooLarge)
        /// A `%` not followed by two hex digits in a URL-encoded (nginx) parameter.
        public static let invalidPercentEncoding = Code(backing: .invalidPercentEncoding)
        /// No PEM armour where one was required, or text outside it where none is allowed.
        public static let notPEM = Code(backing: .notPEM)
        /// PEM armour that is broken: no END line, mismatched labels, headers.
        public static let malformedPEM = Code(backing: .malformedPEM)
        /// A PEM block whose label is not the expected one (a key in a CA bundle, say).
        public static let unexpectedPEMLabel = Code(backing: .unexpectedPEMLabel)
        /// The base64 body of a PEM block does not decode (RFC 4648 §4, padding included).
        public static let invalidBase64 = Code(backing: .invalidBase64)
        /// More than one certificate where exactly one is required.
        public static let multipleCertificates = Code(backing: .multipleCertificates)
        /// The bytes are not one DER-encoded X.509 certificate (RFC 5280 §4.1), exactly.
        public static let malformedDER = Code(backing: .malformedDER)
        /// The certificate decodes but a field does not: a time, a name, an extension.
        public static let malformedField = Code(backing: .malformedField)
        /// An RFC 4514 distinguished-name string that does not parse.
        public static let invalidDistinguishedName = Code(backing: .invalidDistinguishedName)
        /// An attribute type name in a DN string that is neither known nor a dotted OID.
        public static let unknownAttributeType = Code(backing: .unknownAttributeType)
        /// A configured file could not be read.
        public static let fileUnreadable = Code(backing: .fileUnreadable)
        /// A bundle that must hold at least one certificate (or CRL) holds none.
        public static let noCertificates = Code(backing: .noCertificates)
        /// A CRL that does not decode.
        public static let malformedCRL = Code(backing: .malformedCRL)
        /// OpenSSL failed for a reason unrelated to the input (allocation, say).
        public static let internalError = Code(backing: .internalError)

        /// The code's name, for logs.
        public var description: String { backing.rawValue }
    }

    /// What went wrong, for comparison.
    public let code: Code
    private let reason: String
    private let detail: String
    private let location: String

    init(_ code: Code, reason: String, detail: String = "", file: String, line: UInt) {
        self.code = code
        self.reason = reason
        self.detail = detail
        self.location = "\(file):\(line)"
    }

    /// Safe to show: the code and the rule that failed, nothing of the input.
    public var description: String { "CertificateError.\(code): \(reason)" }

    /// For logs: adds OpenSSL's error queue or parser position, and where it was raised.
    public var debugDescription: String {
        detail.isEmpty
            ? "CertificateError.\(code): \(reason) [\(location)]"
            : "CertificateError.\(code): \(reason) (\(detail)) [\(location)]"
    }

    /// Equal by code only: tests and callers compare codes, never text.
    public static func == (lhs: CertificateError, rhs: CertificateError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    // MARK: Factories (internal: only this module raises these errors)

    static func make(
        _ code: Code,
        _ reason: String,
        detail: String = "",
        file: String = #fileID,
        line: UInt = #line
    ) -> CertificateError {
        CertificateError(code, reason: reason, detail: detail, file: file, line: line)
    }

    /// An error for a failed OpenSSL call: drains the thread's error queue into the detail.
    static func openSSL(
        _ code: Code,
        _ reason: String,
        file: String = #fileID,
        line: UInt = #line
    ) -> CertificateError {
        CertificateError(code, reason: reason, detail: OpenSSLErrorQueue.drain(), file: file, line: line)
    }
}
