import CredenceCore
import Testing

/// `error_description` stays within RFC 6749 §5.2's character set whatever it is built from.
@Suite struct OAuthErrorTests {
    /// RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E.
    static func isAllowed(_ byte: UInt8) -> Bool {
        (0x20...0x21).contains(byte) || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
    }

    @Test(arguments: [
        #"the "kid" header is not a string"#, #"path C:\keys\k1"#, "the token expired…", "naïve ünïcödé",
        "tab\there\nnewline\r\u{0}nul\u{7F}del", "emoji 🔑 and \u{2028} separator", "“curly” ‘quotes’ – dashes",
        "plain ASCII stays as it is: a-z A-Z 0-9 !#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    ])
    func everyDescriptionIsWithinTheAllowedCharacters(text: String) {
        let errors: [OAuthError] = [
            .invalidRequest(text), .invalidClient(text), .invalidGrant(text), .invalidToken(text),
            .invalidClientMetadata(text), .invalidSoftwareStatement(text),
            OAuthError(code: "invalid_request", description: text, status: 400),
            OAuthError(code: "invalid_request", description: text, status: 400).adding(header: "X", value: "y"),
        ]
        for error in errors {
            let description = error.errorDescription ?? ""
            #expect(description.utf8.allSatisfy(Self.isAllowed), "\(Array(description.utf8))")
            #expect(!description.isEmpty)
        }
    }

    @Test func asciiWithinTheSetIsUnchanged() {
        let text = "plain ASCII: a-z A-Z 0-9 !#$%&'()*+,-./:;<=>?@[]^_`{|}~"
        #expect(OAuthError.sanitizedDescription(text) == text)
    }

    @Test(arguments: [
        (#"the "kid" header"#, "the 'kid' header"), (#"a\b"#, "a/b"), ("expired…", "expired..."),
        ("line\nbreak", "line break"), ("é", "?"), ("🔑", "?"),
    ])
    func replacements(input: String, expected: String) {
        #expect(OAuthError.sanitizedDescription(input) == expected)
    }
}
