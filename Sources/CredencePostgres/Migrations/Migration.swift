/// One numbered schema change from `sql/` (`0001_initial.sql`): applied once,
/// in order, and never edited after it has been applied anywhere.
public struct Migration: Sendable, Hashable {
    /// The number that orders migrations (1 for `0001_…`).
    public let version: Int
    /// The descriptive part of the file name (`initial`).
    public let name: String
    /// The file name, as in `sql/`.
    public let fileName: String
    /// The SQL text, run as one script inside the migration transaction.
    public let sql: String

    /// Parses a file name `NNNN_name.sql` (four or more digits, a lowercase
    /// name of letters, digits and `_`) and keeps the contents.
    public init(fileName: String, sql: String) throws(MigrationError) {
        guard fileName.hasSuffix(".sql") else { throw .invalidMigrationSet("\(fileName) is not a .sql file") }
        let stem = fileName.dropLast(4)
        guard let separator = stem.firstIndex(of: "_") else {
            throw .invalidMigrationSet("\(fileName) is not named NNNN_name.sql")
        }
        let digits = stem[..<separator]
        let name = stem[stem.index(after: separator)...]
        let nameIsValid =
            !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            }
        guard digits.count >= 4, digits.count <= 9, digits.utf8.allSatisfy({ (48...57).contains($0) }),
            let version = Int(digits), version > 0, nameIsValid
        else {
            throw .invalidMigrationSet("\(fileName) is not named NNNN_name.sql (lowercase name, version from 1)")
        }
        self.version = version
        self.name = String(name)
        self.fileName = fileName
        self.sql = sql
    }
}
