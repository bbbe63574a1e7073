import CredenceJOSE
import Testing

@Suite struct Base64URLTests {
    /// RFC 4648 §10 vectors, in the URL-safe alphabet without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) throws {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlSafeAlphabet() throws {
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
        #expect(try Base64URL.decode("-_-_") == [0xfb, 0xff, 0xbf])
    }

    @Test func everyByteRoundTrips() throws {
        let all = (0...255).map(UInt8.init)
        for length in 0...all.count {
            let bytes = Array(all.prefix(length))
            #expect(try Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: [
        "Zg==", "Zg=", "Zm8=",  // padding
        "+/+/", "ab+c", "ab/c",  // standard alphabet
        "Zm9v ", " Zm9v", "Zm\n9v", "Zm\t9v", "Zm9v\r\n",  // whitespace
        "Z", "Zm9vY",  // impossible lengths
        "Zh", "Zm9", "Zm-",  // non-canonical trailing bits ("Zg" and "Zm8" are canonical)
        "Zm9v.", "Zm9v!", "Zm9\u{00e9}", "Zm\0v",  // other characters
    ])
    func strictDecodingRefuses(_ text: String) {
        let error = #expect(throws: JOSEError.self) { try Base64URL.decode(text) }
        #expect(error?.code == .invalidBase64URL)
    }
}
