import Foundation
import Testing

@testable import OpenSSLCrypto

/// The forms in which nginx and Apache hand the client certificate to the responder.
@Suite("X.509 web-server certificate parameter")
struct X509WebServerParameterTests {
    /// nginx `ngx_escape_uri(…, NGX_ESCAPE_URI_COMPONENT)`, as `$ssl_client_escaped_cert`
    /// applies it to the PEM: the bitmap of characters to escape, 256 bits, and
    /// upper-case hex (nginx src/core/ngx_string.c, `uri_component`).
    static func nginxEscaped(_ text: String) -> String {
        let escape: [UInt32] = [
            0xffff_ffff,  // %00-%1F
            0xfc00_9fff,  // space ! " # $ % & ' ( ) * + , / : ; < = > ?
            0x7800_0001,  // @ [ \ ] ^
            0xb800_0001,  // ` { | } DEL
            0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff,  // %80-%FF
        ]
        var out = ""
        for byte in text.utf8 {
            if escape[Int(byte >> 5)] & (1 << UInt32(byte & 0x1f)) != 0 {
                out += String(format: "%%%02X", byte)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// nginx's deprecated `$ssl_client_cert`: the PEM without its last newline, with a
    /// tab after every remaining newline (ngx_ssl_get_certificate).
    static func nginxTabbed(_ pem: String) -> String {
        var body = pem
        if body.hasSuffix("\n") { body.removeLast() }
        return body.replacingOccurrences(of: "\n", with: "\n\t")
    }

    @Test func nginxEscapeTableMatchesItsDocumentedCharacters() {
        #expect(Self.nginxEscaped("a+b/c=d e\n-_.~") == "a%2Bb%2Fc%3Dd%20e%0A-_.~")
        #expect(Self.nginxEscaped("-----BEGIN CERTIFICATE-----\n") == "-----BEGIN%20CERTIFICATE-----%0A")
    }

    @Test func nginxEscapedCertificate() throws {
        let pem = try X509Fixtures.text("leaf-client.pem")
        let escaped = Self.nginxEscaped(pem)
        #expect(escaped.hasPrefix("-----BEGIN%20CERTIFICATE-----%0A"))
        #expect(escaped.hasSuffix("-----END%20CERTIFICATE-----%0A"))
        #expect(!escaped.contains(where: { "+/= \n".contains($0) }))
        let certificate = try Certificate(webServerParameter: escaped)
        #expect(certificate == (try Certificate(pemEncoded: pem)))
    }

    @Test func lowerCaseEscapesAreAccepted() throws {
        let pem = try X509Fixtures.text("leaf-client.pem")
        let escaped = Self.nginxEscaped(pem).replacingOccurrences(of: "%2B", with: "%2b")
            .replacingOccurrences(of: "%0A", with: "%0a")
        #expect(try Certificate(webServerParameter: escaped) == (try Certificate(pemEncoded: pem)))
    }

    @Test func apachePlainPEM() throws {
        let pem = try X509Fixtures.text("leaf-client.pem")
        let expected = try Certificate(pemEncoded: pem)
        #expect(try Certificate(webServerParameter: pem) == expected)
        #expect(try Certificate(webServerParameter: pem.replacingOccurrences(of: "\n", with: "\r\n")) == expected)
    }

    @Test func nginxDeprecatedTabbedPEM() throws {
        let pem = try X509Fixtures.text("leaf-client.pem")
        let tabbed = Self.nginxTabbed(pem)
        #expect(tabbed.contains("\n\t"))
        #expect(try Certificate(webServerParameter: tabbed) == (try Certificate(pemEncoded: pem)))
    }

    /// Hostile or broken parameters and the code each must give.
    enum Broken: String, CaseIterable, Sendable {
        case empty, whitespace, notPEM, bareBase64DER, badPercentHex, truncatedPercent, percentAtEnd,
            twoCertificates, twoCertificatesEscaped, invalidBase64, derGarbage, noEndLine,
            privateKey, textBeforePEM, textAfterPEMEscaped, oversize, pemHeaders, doubleEscaped,
            mismatchedEnd, truncatedBody, nulInside, spaceInsideBase64

        func input(pem: String, other: String, key: String) -> String {
            let lines = pem.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            switch self {
            case .empty: return ""
            case .whitespace: return " \n\t\r\n"
            case .notPEM: return "hello"
            case .bareBase64DER: return lines.dropFirst().dropLast(2).joined()
            case .badPercentHex: return "-----BEGIN%20CERTIFICATE-----%0Z"
            case .truncatedPercent: return X509WebServerParameterTests.nginxEscaped(pem) + "%4"
            case .percentAtEnd: return "-----BEGIN%20CERTIFICATE-----%"
            case .twoCertificates: return pem + other
            case .twoCertificatesEscaped: return X509WebServerParameterTests.nginxEscaped(pem + other)
            case .invalidBase64: return "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
            case .derGarbage: return "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n"
            case .noEndLine: return lines.dropLast(2).joined(separator: "\n")
            case .privateKey: return key
            case .textBeforePEM: return "subject=CN=x\n" + pem
            case .textAfterPEMEscaped: return X509WebServerParameterTests.nginxEscaped(pem + "trailer\n")
            case .oversize: return pem + String(repeating: " ", count: Certificate.maximumWebServerParameterLength)
            case .pemHeaders:
                return lines[0] + "\nProc-Type: 4,ENCRYPTED\n" + lines.dropFirst().joined(separator: "\n")
            case .doubleEscaped:
                return X509WebServerParameterTests.nginxEscaped(X509WebServerParameterTests.nginxEscaped(pem))
            case .mismatchedEnd: return pem.replacingOccurrences(of: "END CERTIFICATE", with: "END X509 CRL")
            case .truncatedBody:
                var shorter = lines
                shorter.remove(at: 3)
                return shorter.joined(separator: "\n")
            case .nulInside: return pem.replacingOccurrences(of: "\n", with: "\n\u{0}", options: [], range: nil)
            case .spaceInsideBase64:
                var spaced = lines
                spaced[2] = String(spaced[2].prefix(10)) + " " + String(spaced[2].dropFirst(10))
                return spaced.joined(separator: "\n")
            }
        }

        var expected: CertificateError.Code {
            switch self {
            case .empty, .whitespace: return .empty
            case .notPEM, .bareBase64DER, .textBeforePEM, .textAfterPEMEscaped:
                return .notPEM
            case .badPercentHex, .truncatedPercent, .percentAtEnd: return .invalidPercentEncoding
            case .twoCertificates, .twoCertificatesEscaped: return .multipleCertificates
            case .invalidBase64, .spaceInsideBase64: return .invalidBase64
            case .derGarbage, .truncatedBody: return .malformedDER
            case .noEndLine, .pemHeaders, .mismatchedEnd, .doubleEscaped, .nulInside: return .malformedPEM
            case .privateKey: return .unexpectedPEMLabel
            case .oversize: return .tooLarge
            }
        }
    }

    @Test(arguments: Broken.allCases)
    func brokenParametersAreRefused(_ broken: Broken) throws {
        let pem = try X509Fixtures.text("leaf-client.pem")
        let other = try X509Fixtures.text("intermediate-ca.pem")
        let key = try X509Fixtures.text("leaf-client.key")
        let input = broken.input(pem: pem, other: other, key: key)
        #expect(X509Fixtures.code { _ = try Certificate(webServerParameter: input) } == broken.expected)
        #expect(OpenSSLErrorQueue.isEmpty)
    }
}
