import Foundation
import Testing

@testable import OpenSSLCrypto

@Suite("X.509 distinguished names")
struct X509DistinguishedNameTests {
    typealias Attribute = DistinguishedName.Attribute
    typealias RDN = DistinguishedName.RelativeDistinguishedName

    @Test(arguments: ["leaf-client", "ssa-signing"])
    func subjectStringEqualsOpenSSLRFC2253(name: String) throws {
        // make-fixtures.sh: openssl x509 -noout -subject -nameopt RFC2253
        let expected = try X509Fixtures.line("\(name).subject-rfc2253.txt")
        let subject = try X509Fixtures.certificate(name).subject
        #expect(subject.rfc4514String == expected)
        let parsed = try DistinguishedName(rfc4514: expected)
        #expect(parsed == subject)
        #expect(parsed.matches(subject))
    }

    /// The subject's prepared form is computed once per parsed certificate and shared by its
    /// copies; many threads asking at once all get the same form.
    @Test func aCertificateKeepsItsPreparedSubject() throws {
        let certificate = try X509Fixtures.certificate("leaf-client")
        let expected = PreparedDistinguishedName(certificate.subject)
        let registered = PreparedDistinguishedName(
            try DistinguishedName(rfc4514: X509Fixtures.line("leaf-client.subject-rfc2253.txt"))
        )
        let copies = Array(repeating: certificate, count: 8)
        DispatchQueue.concurrentPerform(iterations: 32) { index in
            let prepared = copies[index % copies.count].preparedSubject
            #expect(prepared == expected)
            #expect(prepared.matches(registered))
        }
        #expect(certificate.preparedSubject == expected)
        #expect(!certificate.preparedSubject.matches(try X509Fixtures.certificate("ssa-signing").preparedSubject))
    }

    @Test func leafSubjectStructure() throws {
        let subject = try X509Fixtures.certificate("leaf-client").subject
        // Encoding order: DC=com first, emailAddress last; CN+UID is one RDN.
        #expect(subject.relativeDistinguishedNames.count == 10)
        #expect(
            subject.relativeDistinguishedNames.first == RDN([Attribute(oid: "0.9.2342.19200300.100.1.25", text: "com")])
        )
        #expect(subject.relativeDistinguishedNames[8].attributes.count == 2)
        #expect(subject.values(ofType: "2.5.4.11") == ["Payments, Cards + FX"])
        #expect(subject.values(ofType: "2.5.4.97") == ["PSDGB-OB-0015800001HQQrZAAX"])
        #expect(subject.values(ofType: "2.5.4.10") == ["Credence \"Test\" <TPP>; Ltd"])
        #expect(subject.values(ofType: "2.5.4.8") == ["#Hashed County"])
    }

    @Test func registeredOpenBankingStyleDNMatchesTheCertificate() throws {
        let subject = try X509Fixtures.certificate("leaf-client").subject
        let registered =
            "E=OPS@tpp.example.com, UID=tpp-42+cn=0015800001HQQrZAAX, 2.5.4.97=PSDGB-OB-0015800001HQQrZAAX,"
            + " OU=Payments\\2C Cards \\+ FX, O=credence \\\"test\\\" \\<tpp\\>\\; ltd, L=LONDON,"
            + " ST=\\#Hashed  County, C=gb, DC=EXAMPLE, DC=com"
        #expect(try DistinguishedName(rfc4514: registered).matches(subject))
        // The same without the OU is another name.
        let missing = "E=ops@tpp.example.com,CN=0015800001HQQrZAAX+UID=tpp-42,2.5.4.97=PSDGB-OB-0015800001HQQrZAAX"
        #expect(!(try DistinguishedName(rfc4514: missing).matches(subject)))
    }

    @Test(arguments: [
        ("CN=Foo,O=Bar,C=GB", "cn=foo, o=bar, c=gb"),
        ("CN=Foo", "2.5.4.3=Foo"),
        ("CN=Foo", "commonName=foo"),
        ("CN=Foo", "OID.2.5.4.3=FOO"),
        ("CN=Foo", "CN = Foo"),
        ("CN=  Foo   Bar ", "CN=foo bar"),
        ("CN=Foo\\20Bar", "CN=foo bar"),
        ("CN=abc", "CN=#0C03616263"),  // UTF8String
        ("CN=abc", "CN=#1303616263"),  // PrintableString
        ("CN=abc", "CN=#1E06006100620063"),  // BMPString
        ("CN=a+UID=b,O=x", "UID=b+CN=a,O=x"),
        ("CN=a + UID=b,O=x", "UID=B+CN=A , O=X"),
        ("OU=Payments\\, Cards \\+ FX", "OU=payments\\2C cards \\2B fx"),
        ("E=ops@x.example", "emailAddress=OPS@X.EXAMPLE"),
        ("organizationIdentifier=PSDGB-OB-1", "2.5.4.97=psdgb-ob-1"),
        ("organizationIdentifier=PSDGB-OB-1", "2.5.4.97=#130A50534447422D4F422D31"),
        ("STREET=1 High St", "streetAddress=1 high st"),
        ("serialNumber=ABC", "2.5.4.5=abc"),
        ("CN=Stra\\C3\\9Fe", "CN=STRASSE"),  // case folding of ß
        ("CN=\u{FB01}le", "CN=file"),  // NFKC: the fi ligature
        ("CN=a\u{00A0}b", "CN=a b"),  // NO-BREAK SPACE is a space
        ("CN=Caf\u{00E9}", "CN=Cafe\u{0301}"),  // composed and decomposed é
        ("CN=soft\u{00AD}hyphen", "CN=softhyphen"),  // RFC 4518 §2.2: mapped to nothing
        ("CN=a\tb", "CN=a b"),  // TAB maps to SPACE
        ("1.2.3.4=#0401FF", "1.2.3.4=#0401ff"),  // non-text values byte for byte
        ("", "  "),
    ])
    func equivalentNames(_ lhs: String, _ rhs: String) throws {
        let a = try DistinguishedName(rfc4514: lhs)
        let b = try DistinguishedName(rfc4514: rhs)
        #expect(a.matches(b))
        #expect(b.matches(a))
        // Prepared once, the same verdict.
        #expect(PreparedDistinguishedName(a).matches(PreparedDistinguishedName(b)))
        #expect(PreparedDistinguishedName(b).matches(PreparedDistinguishedName(a)))
    }

    @Test(arguments: [
        ("CN=Foo,O=Bar", "O=Bar,CN=Foo"),  // RDN order is significant
        ("CN=Foo,O=Bar,C=GB", "C=GB,O=Bar,CN=Foo"),  // encoding order is not RFC 4514 order
        ("CN=Foo,O=Bar", "CN=Foo"),
        ("CN=Foo", "CN=Fo"),
        ("CN=Foo", "OU=Foo"),
        ("CN=a+UID=b", "CN=a,UID=b"),  // one multi-valued RDN is not two RDNs
        ("CN=a+UID=b", "CN=a"),
        ("CN=a b", "CN=ab"),  // inner spaces are significant (collapsed, not removed)
        ("CN=foo", "CN=#0403666F6F"),  // an OCTET STRING is not text
        ("1.2.3.4=#0401FF", "1.2.3.4=#0401FE"),
        ("CN=a\\00b", "CN=ab"),  // control characters are prohibited, never ignored
        ("CN=a\\00b", "CN=a\\00b"),  // … not even equal to themselves
        ("CN=a\\01b", "CN=a\\01b"),
        ("CN=\u{E000}", "CN=\u{E000}"),  // private use: prohibited
        ("CN=\\EF\\BF\\BD", "CN=\\EF\\BF\\BD"),  // U+FFFD: prohibited
        ("CN=Foo", ""),
    ])
    func differentNames(_ lhs: String, _ rhs: String) throws {
        let a = try DistinguishedName(rfc4514: lhs)
        let b = try DistinguishedName(rfc4514: rhs)
        #expect(!a.matches(b))
        #expect(!b.matches(a))
        #expect(!PreparedDistinguishedName(a).matches(PreparedDistinguishedName(b)))
        #expect(!PreparedDistinguishedName(b).matches(PreparedDistinguishedName(a)))
    }

    @Test(arguments: [
        ("CN", CertificateError.Code.invalidDistinguishedName),
        ("CN=a,", .invalidDistinguishedName),
        (",CN=a", .invalidDistinguishedName),
        ("CN=a,,O=b", .invalidDistinguishedName),
        ("CN=a;O=b", .invalidDistinguishedName),
        ("CN=\"quoted\"", .invalidDistinguishedName),
        ("CN=a<b", .invalidDistinguishedName),
        ("CN=a>b", .invalidDistinguishedName),
        ("CN=a+", .invalidDistinguishedName),
        ("=a", .invalidDistinguishedName),
        ("CN=\\", .invalidDistinguishedName),
        ("CN=\\q", .invalidDistinguishedName),
        ("CN=\\C3", .invalidDistinguishedName),  // not UTF-8
        ("CN=\\4", .invalidDistinguishedName),
        ("CN=#", .invalidDistinguishedName),
        ("CN=#0C0", .invalidDistinguishedName),
        ("CN=#zz", .invalidDistinguishedName),
        ("CN=#0C03616263 x", .invalidDistinguishedName),
        ("CN=#0C0461", .invalidDistinguishedName),  // BER length beyond the bytes
        ("CN=#0C0361626300", .invalidDistinguishedName),  // bytes after the value
        ("1=a", .invalidDistinguishedName),  // one arc
        ("2.05.4=a", .invalidDistinguishedName),  // leading zero
        ("2.5.=a", .invalidDistinguishedName),
        ("-CN=a", .invalidDistinguishedName),
        ("FOO=bar", .unknownAttributeType),
        ("S=Kent", .unknownAttributeType),
        ("CN=a\u{0}b", .invalidDistinguishedName),  // raw NUL
    ])
    func malformedStrings(_ input: String, _ expected: CertificateError.Code) {
        #expect(X509Fixtures.code { _ = try DistinguishedName(rfc4514: input) } == expected)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func oversizedStringIsRefused() {
        let long = "CN=" + String(repeating: "a", count: DistinguishedName.maximumRFC4514Length)
        #expect(X509Fixtures.code { _ = try DistinguishedName(rfc4514: long) } == .tooLarge)
    }

    @Test(arguments: [
        (" lead", "CN=\\ lead"),
        ("trail ", "CN=trail\\ "),
        (" ", "CN=\\ "),
        ("#hash", "CN=\\#hash"),
        ("in#side", "CN=in#side"),
        ("a,b+c\"d\\e<f>g;h", "CN=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h"),
        ("x=y", "CN=x=y"),
        ("nul\u{0}x", "CN=nul\\00x"),
        ("del\u{7F}", "CN=del\\7F"),
        ("Zo\u{EB}", "CN=Zo\u{EB}"),
        ("", "CN="),
    ])
    func valuesAreEscaped(value: String, expected: String) throws {
        let name = DistinguishedName([RDN([Attribute(oid: "2.5.4.3", text: value)])])
        #expect(name.rfc4514String == expected)
        #expect(try DistinguishedName(rfc4514: expected) == name)
    }

    @Test func unknownTypesAndNonTextValuesUseHex() throws {
        let name = DistinguishedName([
            RDN([Attribute(oid: "1.2.3.4", text: "abc")]),
            RDN([Attribute(oid: "2.5.4.3", value: .ber([0x04, 0x01, 0xFF]))]),
        ])
        #expect(name.rfc4514String == "CN=#0401FF,1.2.3.4=#0C03616263")
        #expect(try DistinguishedName(rfc4514: name.rfc4514String) == name)
    }

    @Test func parsingFollowsRFC4514() throws {
        let parsed = try DistinguishedName(rfc4514: "CN = Foo\\ , O=B\\C3\\A4r+ OU = x y  ,C=GB")
        #expect(
            parsed
                == DistinguishedName([
                    RDN([Attribute(oid: "2.5.4.6", text: "GB")]),
                    RDN([Attribute(oid: "2.5.4.11", text: "x y"), Attribute(oid: "2.5.4.10", text: "B\u{E4}r")]),
                    RDN([Attribute(oid: "2.5.4.3", text: "Foo ")]),
                ])
        )
        #expect(try DistinguishedName(rfc4514: "").isEmpty)
        #expect(try DistinguishedName(rfc4514: "CN=Zo\u{EB}") == DistinguishedName(rfc4514: "CN=Zo\\C3\\AB"))
    }

    @Test func equalityIsExactMatchingIsNot() throws {
        let a = try DistinguishedName(rfc4514: "CN=Foo")
        let b = try DistinguishedName(rfc4514: "cn=foo")
        #expect(a != b)
        #expect(a.matches(b))
    }

    @Test(arguments: [
        ("  Foo   BAR  ", "foo bar"),
        ("\u{2003}x\u{2028}y\u{0085}", "x y"),
        ("a\u{200B}b\u{FE0F}c", "abc"),
        ("\u{FF21}\u{FF22}", "ab"),  // fullwidth letters under NFKC
    ])
    func stringPreparation(input: String, prepared: String) {
        #expect(X509StringPrep.prepare(input) == prepared)
    }

    @Test(arguments: [0x01, 0x7F, 0x9F, 0xE000, 0xFFFD, 0xFDD0, 0x10FFFF, 0x0378] as [UInt32])
    func prohibitedStrings(scalar: UInt32) throws {
        // Control, private use, replacement character, non-characters, unassigned.
        let character = try #require(Unicode.Scalar(scalar))
        #expect(X509StringPrep.prepare("a" + String(character) + "b") == nil)
    }
}
