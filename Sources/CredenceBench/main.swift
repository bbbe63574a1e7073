// credence-bench: operations per second of the JOSE layer next to the raw OpenSSL primitive it
// wraps, measured in the same run, plus `openssl speed` for reference. Run it with
// bench/jose.sh (release build). Not a test: figures depend on the machine.
//
//   credence-bench [--seconds S] [--no-openssl-speed]
import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto

var seconds = 2.0
var runOpenSSLSpeed = true
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--seconds": seconds = Double(arguments.next() ?? "") ?? seconds
    case "--no-openssl-speed": runOpenSSLSpeed = false
    default:
        print("usage: credence-bench [--seconds S] [--no-openssl-speed]")
        exit(2)
    }
}

/// Runs `body` for about `duration` and returns (operations, seconds).
func run(for duration: Duration, _ body: () throws -> Void) rethrows -> (Int, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    var elapsed = Duration.zero
    repeat {
        for _ in 0..<8 { try body() }
        count += 8
        elapsed = clock.now - start
    } while elapsed < duration
    let (whole, attoseconds) = elapsed.components
    return (count, Double(whole) + Double(attoseconds) / 1e18)
}

/// Operations per second of `jose` and `raw`, measured in alternating 100 ms slices for about
/// `seconds` each, so that load from other processes hits both sides alike.
func compare(_ seconds: Double, jose: () throws -> Void, raw: () throws -> Void) rethrows -> (jose: Double, raw: Double)
{
    for _ in 0..<20 {
        try jose()
        try raw()
    }
    let slices = max(Int(seconds * 10), 1)
    var joseTotal = (0, 0.0)
    var rawTotal = (0, 0.0)
    for _ in 0..<slices {
        let j = try run(for: .milliseconds(100), jose)
        let r = try run(for: .milliseconds(100), raw)
        joseTotal = (joseTotal.0 + j.0, joseTotal.1 + j.1)
        rawTotal = (rawTotal.0 + r.0, rawTotal.1 + r.1)
    }
    return (Double(joseTotal.0) / joseTotal.1, Double(rawTotal.0) / rawTotal.1)
}

/// Keeps the optimizer from dropping a result.
@inline(never) func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

struct Row {
    let algorithm: String
    let operation: String
    let jose: Double
    let raw: Double
}

/// RFC 9068 access token claims as the token endpoint issues them.
func accessTokenClaims() throws -> JWTClaims {
    try JWTClaims(
        issuer: "https://as.bank.example",
        subject: "5a2c7e1b-8f3d-4c5e-9a7b-2d1e3f4a5b6c",
        audience: ["https://api.bank.example"],
        expiresAt: 1_900_000_300,
        issuedAt: 1_900_000_000,
        jwtID: "b7f3c2a1-9e8d-4f6a-8b5c-1d2e3f4a5b6c",
        other: [
            "client_id": "5a2c7e1b-8f3d-4c5e-9a7b-2d1e3f4a5b6c", "scope": "accounts payments fundsconfirmations",
            "cnf": ["x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"],
        ]
    )
}

var rows: [Row] = []
var overheads: [String] = []
let claims = try accessTokenClaims()
let rules = JWTValidationRules(
    expectedIssuer: "https://as.bank.example",
    acceptedAudiences: ["https://api.bank.example"]
)
for (algorithm, kind) in [(JWSAlgorithm.es256, KeyKind.ec(.p256)), (.ps256, .rsa(bits: 2048)), (.edDSA, .ed25519)] {
    let key = try PrivateKey.generate(kind)
    let signer = try JWSSigner(key: key, algorithm: algorithm, keyID: "2026-01-\(algorithm)")
    let keySet = JWKSet(keys: [signer.publicJWK])
    let token = try signer.sign(claims: claims, type: "at+jwt")
    let parts = token.split(separator: ".")
    let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
    let signature = try Base64URL.decode(parts[2])
    let publicKey = key.publicKey
    let allowed: Set<JWSAlgorithm> = [algorithm]

    let sign = try compare(seconds) {
        consume(try signer.sign(claims: claims, type: "at+jwt"))
    } raw: {
        consume(try key.sign(message: signingInput, scheme: algorithm.scheme))
    }
    rows.append(Row(algorithm: algorithm.rawValue, operation: "sign+encode", jose: sign.jose, raw: sign.raw))
    let rawVerify = {
        consume(publicKey.verify(signature: signature, message: signingInput, scheme: algorithm.scheme))
    }
    let verify = try compare(seconds) {
        consume(try UnverifiedJWS(compact: token).verify(using: keySet, allowedAlgorithms: allowed))
    } raw: {
        rawVerify()
    }
    rows.append(Row(algorithm: algorithm.rawValue, operation: "parse+verify", jose: verify.jose, raw: verify.raw))
    let full = try compare(seconds) {
        let claims = try UnverifiedJWS(compact: token).verify(using: keySet, allowedAlgorithms: allowed).claims()
        try claims.validate(nowSeconds: 1_900_000_100, rules: rules)
    } raw: {
        rawVerify()
    }
    rows.append(Row(algorithm: algorithm.rawValue, operation: "parse+verify+claims", jose: full.jose, raw: full.raw))
    let parseOnly = try run(for: .milliseconds(Int(seconds * 250))) { consume(try UnverifiedJWS(compact: token)) }
    let lookupOnly = try run(for: .milliseconds(Int(seconds * 250))) {
        consume(try keySet.key(forKID: "2026-01-\(algorithm)", algorithm: algorithm))
    }
    let signOverhead = run(for: .milliseconds(Int(seconds * 250))) {
        consume(Base64URL.encodeToBytes(claims.serialized()))
    }
    let unverified = try UnverifiedJWS(compact: token)
    let claimsOnly = try run(for: .milliseconds(Int(seconds * 250))) { consume(try unverified.unverifiedClaims()) }
    overheads.append(
        "\(algorithm): parse \(String(format: "%.2f", parseOnly.1 / Double(parseOnly.0) * 1e6)) µs, kid lookup "
            + "\(String(format: "%.2f", lookupOnly.1 / Double(lookupOnly.0) * 1e6)) µs, claims serialize+encode "
            + "\(String(format: "%.2f", signOverhead.1 / Double(signOverhead.0) * 1e6)) µs, claims parse "
            + "\(String(format: "%.2f", claimsOnly.1 / Double(claimsOnly.0) * 1e6)) µs"
    )
    print("token \(algorithm): \(token.utf8.count) bytes")
}

func format(_ value: Double) -> String { String(format: "%10.0f", value) }

print("")
print("JOSE layer vs raw OpenSSLCrypto primitive over the same bytes (\(seconds) s each, ops/s):")
print("alg    operation               JOSE ops/s   raw ops/s   JOSE/raw")
for row in rows {
    let name = row.algorithm.padding(toLength: 6, withPad: " ", startingAt: 0)
    let operation = row.operation.padding(toLength: 22, withPad: " ", startingAt: 0)
    print(
        "\(name) \(operation) \(format(row.jose))  \(format(row.raw))   \(String(format: "%6.1f%%", 100 * row.jose / row.raw))"
    )
}

print("")
print("JOSE overhead alone, per token:")
for line in overheads { print("  " + line) }

// `openssl speed` for the same primitives, parsed from its summary table.
if runOpenSSLSpeed {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "speed", "-seconds", "3", "ecdsap256", "rsa2048", "ed25519"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do {
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var speed: [String: (sign: Double, verify: Double)] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 4, let verify = Double(fields[fields.count - 1]),
                let sign = Double(fields[fields.count - 2])
            else { continue }
            if line.hasPrefix("rsa 2048") { speed["PS256"] = (sign, verify) }
            if line.contains("(nistp256)") { speed["ES256"] = (sign, verify) }
            if line.contains("(Ed25519)") { speed["EdDSA"] = (sign, verify) }
        }
        print("")
        print("openssl speed -seconds 3 (rsa2048 is PKCS#1 v1.5 over a digest, no hashing of the message):")
        print("alg    operation     openssl ops/s   JOSE ops/s   JOSE/openssl")
        for row in rows where row.operation != "parse+verify+claims" {
            guard let reference = speed[row.algorithm] else { continue }
            let value = row.operation == "sign+encode" ? reference.sign : reference.verify
            let name = row.algorithm.padding(toLength: 6, withPad: " ", startingAt: 0)
            let operation = row.operation.padding(toLength: 13, withPad: " ", startingAt: 0)
            print(
                "\(name) \(operation) \(format(value))     \(format(row.jose))   \(String(format: "%6.1f%%", 100 * row.jose / value))"
            )
        }
    } catch {
        print("openssl speed could not run: \(error)")
    }
}
