import Foundation

/// The complete, ordered list of migrations a binary knows: versions 1…n with
/// no gap and no duplicate, so a missing or doubled file is caught before
/// anything touches the database.
public struct MigrationSet: Sendable, Hashable {
    /// The migrations by ascending version.
    public let migrations: [Migration]

    /// Builds a set from migrations in any order; refuses duplicates and gaps.
    public init(_ migrations: [Migration]) throws(MigrationError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (position, migration) in sorted.enumerated() where migration.version != position + 1 {
            if position > 0, sorted[position - 1].version == migration.version {
                throw .invalidMigrationSet("two migrations have version \(migration.version)")
            }
            throw .invalidMigrationSet("migration version \(position + 1) is missing")
        }
        self.migrations = sorted
    }

    /// Builds a set from `(file name, contents)` pairs.
    public init(files: [(name: String, contents: String)]) throws(MigrationError) {
        var migrations: [Migration] = []
        for file in files {
            migrations.append(try Migration(fileName: file.name, sql: file.contents))
        }
        try self.init(migrations)
    }

    /// The migrations built into this binary from `sql/` (see `scripts/embed-migrations.sh`).
    public static func embedded() throws(MigrationError) -> MigrationSet {
        try MigrationSet(files: embeddedFiles)
    }

    /// Reads every `*.sql` file in `directory` (for development, where the
    /// SQL is edited without rebuilding); other files are ignored.
    public static func load(directory: URL) throws(MigrationError) -> MigrationSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .invalidMigrationSet("cannot list \(directory.path)")
        }
        var files: [(name: String, contents: String)] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let url = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path),
                let contents = String(data: data, encoding: .utf8)
            else {
                throw .invalidMigrationSet("cannot read \(url.path) as UTF-8")
            }
            files.append((name, contents))
        }
        return try MigrationSet(files: files)
    }
}
