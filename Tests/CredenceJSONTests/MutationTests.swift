import Testing

@testable import CredenceJSON

/// Seeded random mutations of valid documents: the parser must never crash, and whatever it
/// accepts must serialize to text that parses back to the same value.
@Suite("Mutated documents")
struct MutationTests {
    /// A small deterministic generator (SplitMix64), so failures are reproducible.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [String] = [
        #"{"alg":"PS256","kid":"k1","typ":"JWT","crit":["b64"],"b64":false}"#,
        #"{"iss":"https://a.example","aud":["x","y"],"exp":1700000000,"nbf":-1.5e3,"n":null,"t":true}"#,
        #"[{"a":"\u00e9\ud83d\ude00\n\"x\""},[[],{}],0,-0.0,1E+9,"é€😀"]"#,
    ]

    /// Bytes that matter to the grammar, plus some that should never appear raw.
    static let interesting: [UInt8] =
        Array("{}[]:,\"\\/0123456789-+.eEtfnrlsua \t\n".utf8)
        + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]

    @Test("mutations are refused cleanly or round-trip", arguments: 0..<seeds.count)
    func mutations(_ seedIndex: Int) {
        var random = SplitMix64(state: UInt64(seedIndex) &+ 0xC0FFEE)
        let original = Array(Self.seeds[seedIndex].utf8)
        var accepted = 0
        var refused = 0
        for _ in 0..<4000 {
            var bytes = original
            for _ in 0...Int.random(in: 0...3, using: &random) {
                let position = Int.random(in: 0...bytes.count, using: &random)
                let byte = Self.interesting.randomElement(using: &random) ?? 0
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where position < bytes.count: bytes[position] = byte
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: bytes.insert(byte, at: position)
                }
            }
            do {
                let value = try JSONValue.parse(bytes)
                accepted += 1
                let again = try JSONValue.parse(value.serialized())
                #expect(again == value)
            } catch {
                refused += 1
            }
        }
        // Both outcomes occur, so the loop really exercised the parser.
        #expect(accepted > 0)
        #expect(refused > 0)
    }

    @Test("every prefix of a valid document is refused as unexpected end or accepted")
    func prefixes() {
        let text = Array(Self.seeds[2].utf8)
        for end in 0..<text.count {
            do {
                _ = try JSONValue.parse(text[0..<end])
                Issue.record("a proper prefix of length \(end) was accepted")
            } catch {
                // A prefix can end inside a UTF-8 sequence or a number, or mid-literal.
                #expect(
                    [JSONError.Code.unexpectedEnd, .invalidUTF8, .invalidNumber].contains(error.code),
                    "prefix \(end): \(error)"
                )
            }
        }
    }
}
