import CredenceJSON
import Foundation
import OpenSSLCrypto

/// Binds each stored signing key's public JWK, `kid`, algorithm, state and publication window
/// to the key-encryption key, so that write access to the `signing_keys` table is not enough
/// to publish a key of one's own, to change a key's algorithm, or to bring a retired key back.
///
/// The tag is HMAC-SHA-256 under a key derived from the key-encryption key with its own label
/// (``KeyEncryptionKey/authenticationTag(for:)``) over ``message(for:)``, a length-prefixed
/// encoding of every field of the row: the sealed private key by its SHA-256 (the sealed key
/// is itself bound to its `kid` as AES-GCM associated data), the public JWK in canonical JSON
/// (PostgreSQL's `jsonb` reorders members), and dates in whole milliseconds (what survives
/// `timestamptz`'s microseconds). Only a holder of the key-encryption key (`credence keys`)
/// writes tags; responders verify them. A tag cannot stop the replay of an older, valid copy
/// of the same row (its earlier state), which only a backup of the table could provide.
public struct SigningKeyIntegrity: Sendable {
    private let encryptionKey: KeyEncryptionKey

    /// Domain label at the start of every tagged message (versioned with the encoding).
    static let label = "credence signing_keys row v1"

    /// An integrity checker under `encryptionKey`.
    public init(encryptionKey: KeyEncryptionKey) {
        self.encryptionKey = encryptionKey
    }

    /// What checking a stored row found.
    public enum Verdict: Sendable, Hashable {
        /// The tag matches every field.
        case verified
        /// No tag: a row written before tags existed (run `credence keys upgrade`).
        case untagged
        /// The tag does not match: the row was changed outside `credence keys`, or was
        /// tagged under another key-encryption key.
        case mismatch
    }

    /// The tag of `record` as it stands (its own `integrityTag` is ignored).
    public func tag(for record: SigningKeyRecord) throws -> [UInt8] {
        try encryptionKey.authenticationTag(for: Self.message(for: record))
    }

    /// `record` with its `integrityTag` set for its current fields.
    public func tagged(_ record: SigningKeyRecord) throws -> SigningKeyRecord {
        var copy = record
        copy.integrityTag = try tag(for: record)
        return copy
    }

    /// Checks a stored row's tag against its fields.
    public func check(_ record: SigningKeyRecord) -> Verdict {
        guard let tag = record.integrityTag else { return .untagged }
        guard let message = try? Self.message(for: record) else { return .mismatch }
        return encryptionKey.isAuthentic(message, tag: tag) ? .verified : .mismatch
    }

    /// The bytes the tag covers: the label, then each field as a 4-byte big-endian length and
    /// its bytes (kid, algorithm, state, canonical public JWK, SHA-256 of the sealed key,
    /// created, activated, retired, publish-until; an absent date is empty, a present one is
    /// its milliseconds since 1970 as 8 big-endian bytes). Throws when the public JWK is not
    /// a JSON object.
    static func message(for record: SigningKeyRecord) throws -> [UInt8] {
        let jwk = try JSONObject.parse(record.publicJWK)
        var message: [UInt8] = []
        func append(_ field: [UInt8]) {
            let length = UInt32(field.count)
            message += [
                UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF),
            ]
            message += field
        }
        func append(_ date: Date?) {
            guard let date else { return append([]) }
            let milliseconds = UInt64(bitPattern: millisecondsSince1970(date))
            append((0..<8).reversed().map { UInt8((milliseconds >> (UInt64($0) * 8)) & 0xFF) })
        }
        append(Array(label.utf8))
        append(Array(record.kid.utf8))
        append(Array(record.algorithm.utf8))
        append(Array(record.state.rawValue.utf8))
        append(jwk.serialized(sortedKeys: true))
        append(Digest.sha256(record.sealedPrivateKey))
        append(record.createdAt)
        append(record.activatedAt)
        append(record.retiredAt)
        append(record.publishUntil)
        return message
    }

    /// `date` in whole milliseconds since 1970, rounded.
    static func millisecondsSince1970(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite, abs(value) < 9.0e18 else { return value < 0 ? .min : .max }
        return Int64(value)
    }

    /// `date` rounded to whole milliseconds: what the key manager writes, so that a tagged date
    /// reads back from `timestamptz` (microseconds) as the same milliseconds.
    public static func storedPrecision(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(millisecondsSince1970(date)) / 1000)
    }
}
