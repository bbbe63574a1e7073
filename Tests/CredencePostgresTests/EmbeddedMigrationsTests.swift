import CredencePostgres
import Foundation
import Testing

/// The binary's embedded SQL is `sql/` exactly, and migration sets are checked before use.
@Suite("Migration files")
struct EmbeddedMigrationsTests {
    static let sqlDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sql")

    @Test func embeddedMigrationsMatchTheSQLFolder() throws {
        let embedded = try MigrationSet.embedded()
        let folder = try MigrationSet.load(directory: Self.sqlDirectory)
        #expect(!folder.migrations.isEmpty)
        #expect(
            embedded.migrations.map(\.fileName) == folder.migrations.map(\.fileName),
            "sql/ and EmbeddedMigrations.swift list different files: run scripts/embed-migrations.sh"
        )
        for (built, source) in zip(embedded.migrations, folder.migrations) {
            #expect(
                built.sql == source.sql,
                "\(source.fileName) differs from its embedded copy: run scripts/embed-migrations.sh"
            )
        }
    }

    @Test func firstMigrationIsTheInitialSchema() throws {
        let first = try #require(try MigrationSet.embedded().migrations.first)
        #expect(first.version == 1)
        #expect(first.name == "initial")
        #expect(first.sql.contains("CREATE TABLE signing_keys"))
    }

    @Test(arguments: [
        "0001_initial.txt", "initial.sql", "001_short.sql", "0001-dash.sql", "0001_Upper.sql",
        "0000_zero.sql", "0001_.sql", "abcd_letters.sql", "0001_semi;colon.sql", "0001_space name.sql",
        "../0001_escape.sql", "0001_initial.sql\u{0}", "１２３４_fullwidth.sql",
    ])
    func badFileNamesAreRefused(_ name: String) {
        let error = #expect(throws: MigrationError.self) { try Migration(fileName: name, sql: "SELECT 1;") }
        #expect(error?.code == .invalidMigrationSet)
    }

    @Test func versionsComeFromTheFileName() throws {
        let migration = try Migration(fileName: "0042_add_things.sql", sql: "SELECT 1;")
        #expect(migration.version == 42)
        #expect(migration.name == "add_things")
    }

    @Test func gapsAndDuplicatesAreRefused() throws {
        let gap = #expect(throws: MigrationError.self) {
            try MigrationSet(files: [("0001_a.sql", "SELECT 1;"), ("0003_c.sql", "SELECT 1;")])
        }
        #expect(gap?.code == .invalidMigrationSet)
        let duplicate = #expect(throws: MigrationError.self) {
            try MigrationSet(files: [("0001_a.sql", "SELECT 1;"), ("0001_b.sql", "SELECT 1;")])
        }
        #expect(duplicate?.code == .invalidMigrationSet)
        let ordered = try MigrationSet(files: [("0002_b.sql", "SELECT 2;"), ("0001_a.sql", "SELECT 1;")])
        #expect(ordered.migrations.map(\.version) == [1, 2])
    }

    @Test func missingDirectoryIsRefused() {
        let error = #expect(throws: MigrationError.self) {
            try MigrationSet.load(directory: URL(fileURLWithPath: "/nonexistent/credence/sql"))
        }
        #expect(error?.code == .invalidMigrationSet)
    }
}
