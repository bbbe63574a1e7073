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

@Suite struct Base64StandardTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) throws {
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func standardAlphabet() throws {
        #expect(try Base64.decode("+/+/") == [0xfb, 0xff, 0xbf])
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm8", "Zg===", "Z===", "====", "Zh==", "Zm9=", "-_-_", "Zm9v\n", "Zm 9v", "Zg==Zg==", "=Zg=",
    ])
    func strictDecodingRefuses(_ text: String) {
        let error = #expect(throws: JOSEError.self) { try Base64.decode(text) }
        #expect(error?.code == .invalidBase64)
    }

    @Test func x5cInHeaderAndJWKDecode() throws {
        let signer = try JWSSigner(key: TestKeys.es256, algorithm: .es256, keyID: nil)
        let token = try signer.sign(payload: [1], type: nil, extraHeader: ["x5c": ["MAMCAQA=", "AQID"]])
        #expect(
            try UnverifiedJWS(compact: token).header.certificateChainDER() == [
                [0x30, 0x03, 0x02, 0x01, 0x00], [1, 2, 3],
            ]
        )
        let bad = try signer.sign(payload: [1], type: nil, extraHeader: ["x5c": ["MAMCAQA"]])
        let error = #expect(throws: JOSEError.self) { try UnverifiedJWS(compact: bad).header.certificateChainDER() }
        #expect(error?.code == .invalidBase64)
        var object = signer.publicJWK.jsonObject
        object["x5c"] = ["AQID"]
        #expect(try JWK(json: object).certificateChainDER() == [[1, 2, 3]])
        #expect(try signer.publicJWK.certificateChainDER() == nil)
    }
}
