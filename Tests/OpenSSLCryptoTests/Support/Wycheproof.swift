import Foundation

/// A generic loader for Wycheproof signature-verification files: every group carries its
/// public key as DER SubjectPublicKeyInfo, every test a message, a signature and a verdict.
struct WycheproofFile: Decodable {
    let algorithm: String
    let numberOfTests: Int
    let testGroups: [Group]

    struct Group: Decodable {
        let publicKeyDer: String
        let tests: [Test]
    }

    struct Test: Decodable, CustomStringConvertible {
        let tcId: Int
        let comment: String
        let flags: [String]
        let msg: String
        let sig: String
        let result: Verdict

        var description: String { "tcId \(tcId) (\(comment); \(flags.joined(separator: ",")))" }
    }

    /// Wycheproof's three outcomes. `acceptable` marks legacy leniencies a strict verifier may
    /// refuse; this project refuses every one of them (see ``WycheproofTests``).
    enum Verdict: String, Decodable {
        case valid, invalid, acceptable
    }

    static func load(_ name: String) throws -> WycheproofFile {
        try JSONDecoder().decode(WycheproofFile.self, from: Fixtures.data("wycheproof/\(name)"))
    }
}
