import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto
import Testing

/// Both directions against joserfc (Python), an independent JOSE implementation: tokens it signs
/// verify here, tokens signed here verify there, and RFC 7638 thumbprints agree.
///
/// Skipped, with the reason shown, only when `python3` or `joserfc` is missing; CI must have
/// both (`pip install joserfc==1.6.5`).
@Suite(
    .enabled(
        if: JoserfcDriver.isAvailable || JoserfcDriver.isRequired,
        "python3 with joserfc is not available; CI must pip install joserfc==1.6.5"
    )
)
struct InteropTests {
    static let claims: JSONObject = [
        "iss": "https://issuer.example", "sub": "client-1", "aud": "https://as.example", "exp": 2_000_000_000,
        "iat": 1_999_999_000, "jti": "interop-1", "scope": "accounts payments",
    ]

    @Test func tokensSignedByJoserfcVerifyHere() throws {
        let request: JSONObject = [
            "algorithms": .array(JWSAlgorithm.allCases.map { .string($0.rawValue) }), "claims": .object(Self.claims),
        ]
        let output = try JoserfcDriver.run("sign", input: JSONValue.object(request).serialized())
        guard case .array(let results) = try JSONValue.parse(output) else {
            Issue.record("joserfc sign output is not an array")
            return
        }
        #expect(results.count == JWSAlgorithm.allCases.count)
        for case .object(let result) in results {
            let algorithm = try JWSAlgorithm(headerValue: result["alg"]?.stringValue ?? "")
            guard case .object(let jwkObject)? = result["jwk"], let token = result["token"]?.stringValue else {
                Issue.record("malformed joserfc result")
                continue
            }
            let jwk = try JWK(json: jwkObject)
            #expect(jwk.thumbprintBase64URL() == result["thumbprint"]?.stringValue, "thumbprint \(algorithm)")
            let verified = try UnverifiedJWS(compact: token).verify(
                using: JWKSet(keys: [jwk]),
                allowedAlgorithms: [algorithm]
            )
            let claims = try verified.claims()
            #expect(claims.object == Self.claims, "claims \(algorithm)")
            #expect(throws: Never.self) {
                try claims.validate(
                    nowSeconds: 1_999_999_500,
                    rules: JWTValidationRules(
                        expectedIssuer: "https://issuer.example",
                        acceptedAudiences: ["https://as.example"]
                    )
                )
            }
            // And a tampered copy does not verify here.
            let tampered = String(token.dropLast(2)) + (token.hasSuffix("AA") ? "BA" : "AA")
            #expect(throws: JOSEError.self) {
                try UnverifiedJWS(compact: tampered).verify(using: jwk, allowedAlgorithms: [algorithm])
            }
        }
    }

    @Test func tokensSignedHereVerifyInJoserfc() throws {
        var cases: [JSONValue] = []
        var thumbprints: [String] = []
        for algorithm in JWSAlgorithm.allCases {
            let signer = try JWSSigner(
                key: TestKeys.key(for: algorithm),
                algorithm: algorithm,
                keyID: "credence-\(algorithm)"
            )
            let token = try signer.sign(claims: JWTClaims(Self.claims), type: "JWT")
            cases.append(
                .object([
                    "alg": .string(algorithm.rawValue), "jwk": .object(signer.publicJWK.jsonObject),
                    "token": .string(token),
                ])
            )
            thumbprints.append(signer.publicJWK.thumbprintBase64URL())
        }
        // A control that must fail there: a valid ES256 token presented with another key.
        let control = try JWSSigner(key: TestKeys.make(.ec(.p256)), algorithm: .es256, keyID: "x").sign(
            claims: JWTClaims(Self.claims)
        )
        cases.append(
            .object([
                "alg": "ES256", "jwk": .object(JWK(publicKey: TestKeys.es256.publicKey, keyID: "x").jsonObject),
                "token": .string(control),
            ])
        )

        let output = try JoserfcDriver.run("verify", input: JSONValue.array(cases).serialized())
        guard case .array(let results) = try JSONValue.parse(output), results.count == cases.count else {
            Issue.record("joserfc verify output has the wrong shape")
            return
        }
        for (index, algorithm) in JWSAlgorithm.allCases.enumerated() {
            let result = results[index]
            #expect(result["ok"] == .bool(true), "joserfc refused \(algorithm): \(result["error"]?.stringValue ?? "")")
            #expect(result["claims"]?.objectValue == Self.claims, "claims \(algorithm)")
            #expect(result["thumbprint"]?.stringValue == thumbprints[index], "thumbprint \(algorithm)")
        }
        #expect(results.last?["ok"] == .bool(false), "the control token must not verify in joserfc")
    }
}

extension JoserfcDriver {
    /// `make test` sets CREDENCE_REQUIRE_INTEROP=1: there a missing joserfc fails the suite
    /// instead of skipping it, so CI can never go green without the interop tests.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["CREDENCE_REQUIRE_INTEROP"] == "1" }
}

/// Runs `Interop/joserfc_interop.py` with `python3` from `PATH`.
enum JoserfcDriver {
    static var script: URL? {
        Bundle.module.resourceURL?.appendingPathComponent("Interop/joserfc_interop.py")
    }

    static let isAvailable: Bool = (try? run("check", input: [])) != nil

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ command: String, input: [UInt8]) throws -> [UInt8] {
        guard let script else { throw Failure(description: "interop script not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, command]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description:
                    "joserfc_interop.py \(command) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))"
            )
        }
        return [UInt8](output)
    }
}
