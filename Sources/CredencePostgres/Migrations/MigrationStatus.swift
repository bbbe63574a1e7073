import Foundation

/// Where the database stands against a binary's migrations, for
/// `credence migrate --status` and for a readiness check.
public struct MigrationStatus: Sendable, Hashable {
    /// One migration's standing.
    public enum State: Sendable, Hashable {
        /// Applied at the given instant, with the same checksum as the file.
        case applied(at: Date)
        /// Known to the binary, not applied yet.
        case pending
        /// Applied, but the file has changed since: `migrate` refuses to run.
        case checksumMismatch(appliedAt: Date)
        /// Applied by a newer binary; this one does not know it.
        case unknownToThisBinary(appliedAt: Date)
    }

    /// One migration, by version.
    public struct Entry: Sendable, Hashable {
        /// The migration's version.
        public let version: Int
        /// Its name (from the file, or as recorded when the binary does not know it).
        public let name: String
        /// Where it stands.
        public let state: State
    }

    /// Every migration known to the binary or recorded in the database, by version.
    public let entries: [Entry]

    /// The migrations `migrate` would apply.
    public var pending: [Entry] { entries.filter { $0.state == .pending } }

    /// Whether the schema is exactly what this binary expects.
    public var isUpToDate: Bool {
        entries.allSatisfy { if case .applied = $0.state { true } else { false } }
    }
}
