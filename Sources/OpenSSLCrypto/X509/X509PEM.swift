/// PEM (RFC 7468) armour around DER: certificates and CRLs.
///
/// Lax where RFC 7468 §3 allows ("lax" parsing): lines of any length, CRLF or LF,
/// spaces and tabs around lines (which also absorbs the tab nginx's deprecated
/// `$ssl_client_cert` puts before every line). Strict everywhere else: no headers,
/// labels must match exactly, base64 per RFC 4648 §4 with canonical padding.
enum X509PEM {
    /// What may stand outside the armour.
    enum Mode {
        /// Only whitespace (a single certificate, a web-server parameter).
        case strict
        /// Explanatory text between blocks too (CA bundles often carry comments).
        case bundle
    }

    /// The DER bodies of every block labelled `label`, in order; empty if there are none.
    static func decode(_ text: [UInt8], label: String, mode: Mode) throws -> [[UInt8]] {
        let begin = Array("-----BEGIN \(label)-----".utf8)
        let end = Array("-----END \(label)-----".utf8)
        let dashes = Array("-----".utf8)
        var blocks: [[UInt8]] = []
        var body: [UInt8]? = nil
        for rawLine in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = trim(rawLine)
            if var current = body {
                if line.elementsEqual(end) {
                    guard let der = Base64.decode(current) else {
                        throw CertificateError.make(.invalidBase64, "PEM body is not base64")
                    }
                    blocks.append(der)
                    body = nil
                } else if line.starts(with: dashes) {
                    throw CertificateError.make(.malformedPEM, "PEM block does not end with its END line")
                } else if line.contains(UInt8(ascii: ":")) {
                    throw CertificateError.make(.malformedPEM, "PEM headers are not accepted")
                } else {
                    current.append(contentsOf: line)
                    body = current
                }
                continue
            }
            if line.isEmpty { continue }
            if line.elementsEqual(begin) {
                body = []
            } else if line.starts(with: Array("-----BEGIN ".utf8)) {
                throw CertificateError.make(.unexpectedPEMLabel, "PEM block is not a \(label)")
            } else if line.starts(with: dashes) {
                throw CertificateError.make(.malformedPEM, "PEM armour line not understood")
            } else if mode == .strict {
                throw CertificateError.make(.notPEM, "text outside the PEM armour")
            }
        }
        guard body == nil else {
            throw CertificateError.make(.malformedPEM, "PEM block has no END line")
        }
        return blocks
    }

    private static func trim(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isBlank = { (byte: UInt8) in
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
        }
        var slice = line
        while let first = slice.first, isBlank(first) { slice = slice.dropFirst() }
        while let last = slice.last, isBlank(last) { slice = slice.dropLast() }
        return slice
    }

    /// Strict base64 (RFC 4648 §4): standard alphabet, length a multiple of four,
    /// `=` only as final padding, zero pad bits.
    enum Base64 {
        static func decode(_ text: [UInt8]) -> [UInt8]? {
            guard !text.isEmpty, text.count % 4 == 0 else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(text.count / 4 * 3)
            let quads = text.count / 4
            for quad in 0..<quads {
                let chunk = text[(quad * 4)..<(quad * 4 + 4)]
                let last = quad == quads - 1
                var values: [UInt32] = []
                var padding = 0
                for (offset, byte) in chunk.enumerated() {
                    if byte == UInt8(ascii: "=") {
                        // Padding: only in the last quad, only in positions 2 and 3, and once
                        // started, to the end.
                        guard last, offset >= 2 else { return nil }
                        padding += 1
                        continue
                    }
                    guard padding == 0, let value = value(of: byte) else { return nil }
                    values.append(value)
                }
                let bits = values.enumerated().reduce(UInt32(0)) { $0 | $1.element << (18 - 6 * UInt32($1.offset)) }
                switch padding {
                case 0:
                    out.append(UInt8(truncatingIfNeeded: bits >> 16))
                    out.append(UInt8(truncatingIfNeeded: bits >> 8))
                    out.append(UInt8(truncatingIfNeeded: bits))
                case 1:
                    guard bits & 0xFF == 0 else { return nil }
                    out.append(UInt8(truncatingIfNeeded: bits >> 16))
                    out.append(UInt8(truncatingIfNeeded: bits >> 8))
                default:
                    guard bits & 0xFFFF == 0 else { return nil }
                    out.append(UInt8(truncatingIfNeeded: bits >> 16))
                }
            }
            return out
        }

        private static func value(of byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(byte - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): return 62
            case UInt8(ascii: "/"): return 63
            default: return nil
            }
        }
    }
}
