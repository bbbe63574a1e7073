// Throughput check for CredenceJSON, compiled together with the module's sources by run.sh
// (so it needs no Package.swift entry). Prints nanoseconds per operation; asserts nothing.

let header = #"{"alg":"PS256","kid":"2Mq5Y4aHfW1H8tG1mYb3r0cQfZk","typ":"JWT"}"#
let claims =
    #"{"iss":"https://issuer.example.com","sub":"7a3f2b1c-8d4e-4f60-9a1b-2c3d4e5f6a7b","aud":"https://as.example.com/token","exp":1735689600,"iat":1735689300,"nbf":1735689300,"jti":"b2f1c9e0-5d3a-4c1e-8f7b-6a5d4c3b2a10","scope":"accounts payments","cnf":{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}}"#
let metadata = """
    {"redirect_uris":["https://tpp.example.com/cb","https://tpp.example.com/cb2"],"token_endpoint_auth_method":"private_key_jwt","grant_types":["authorization_code","refresh_token","client_credentials"],"response_types":["code id_token"],"client_name":"Example TPP \\u00e9\\u00e8","software_id":"ZkZCQUFBQUFBQUFBQUFB","scope":"openid accounts payments fundsconfirmations","application_type":"web","id_token_signed_response_alg":"PS256","request_object_signing_alg":"PS256","token_endpoint_auth_signing_alg":"PS256","tls_client_auth_subject_dn":"CN=0123456789,OU=0015800001041RHAAY,O=OpenBanking,C=GB","jwks":{"keys":[{"kty":"RSA","kid":"k1","use":"sig","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB"}]}}
    """

/// An optional first argument runs only the checks whose name contains it (handy under
/// `perf stat`, whose instruction counts do not depend on the load of a shared machine).
let filter = CommandLine.arguments.dropFirst().first
/// An optional second argument divides the iteration counts (for running under valgrind).
let scale = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 1

func measure(_ name: String, bytes: Int, iterations: Int, _ body: () throws -> Int) rethrows {
    if let filter, !name.contains(filter) { return }
    let iterations = max(10, iterations / scale)
    // The machine is shared: report the best of several rounds.
    var sink = 0
    for _ in 0..<(iterations / 10) { sink &+= try body() }  // warm up
    var best = Double.infinity
    let clock = ContinuousClock()
    for _ in 0..<5 {
        let start = clock.now
        for _ in 0..<(iterations / 5) { sink &+= try body() }
        let elapsed = clock.now - start
        let nanoseconds =
            Double(elapsed.components.seconds) * 1e9
            + Double(elapsed.components.attoseconds) / 1e9
        best = min(best, nanoseconds / Double(iterations / 5))
    }
    let throughput = Double(bytes) / best * 1e9 / 1_048_576
    print(
        name.padding(32),
        format1(best),
        "ns/op",
        format1(throughput),
        "MiB/s",
        sink == 42 ? "" : ""
    )
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

let headerBytes = Array(header.utf8)
let claimsBytes = Array(claims.utf8)
let metadataBytes = Array(metadata.utf8)
func selected(_ name: String) -> Bool { filter.map { name.contains($0) } ?? true }

do {
    try measure("parse JWS header", bytes: headerBytes.count, iterations: 1_000_000) {
        try JSONValue.parse(headerBytes).objectValue?.count ?? 0
    }
    try measure("parse JWT claims", bytes: claimsBytes.count, iterations: 500_000) {
        try JSONValue.parse(claimsBytes).objectValue?.count ?? 0
    }
    try measure(
        "parse header+claims+lookups",
        bytes: headerBytes.count + claimsBytes.count,
        iterations: 500_000
    ) {
        let h = try JSONObject.parse(headerBytes)
        let c = try JSONObject.parse(claimsBytes)
        return (h["alg"]?.stringValue?.utf8.count ?? 0) + Int(c["exp"]?.int64Value ?? 0)
            + (c["iss"]?.stringValue?.utf8.count ?? 0)
    }
    try measure("parse client metadata", bytes: metadataBytes.count, iterations: 100_000) {
        try JSONValue.parse(metadataBytes).objectValue?.count ?? 0
    }
    let big =
        selected("parse 200 x metadata")
        ? Array(("[" + Array(repeating: metadata, count: 200).joined(separator: ",") + "]").utf8) : []
    try measure("parse 200 x metadata", bytes: big.count, iterations: 500) {
        try JSONValue.parse(big, limits: JSONLimits(maxBytes: 1 << 24)).arrayValue?.count ?? 0
    }
    let claimsValue = try JSONValue.parse(claimsBytes)
    measure("serialize claims", bytes: claimsBytes.count, iterations: 500_000) {
        claimsValue.serialized().count
    }
    let metadataValue = try JSONValue.parse(metadataBytes)
    measure("serialize metadata sorted", bytes: metadataBytes.count, iterations: 100_000) {
        metadataValue.serialized(sortedKeys: true).count
    }
    let deep = selected("refuse") ? [UInt8](repeating: UInt8(ascii: "["), count: 100_000) : []
    measure("refuse 100 000 nested arrays", bytes: deep.count, iterations: 100_000) {
        do { _ = try JSONValue.parse(deep) } catch { return 1 }
        return 0
    }
} catch {
    print("unexpected error:", error)
}
