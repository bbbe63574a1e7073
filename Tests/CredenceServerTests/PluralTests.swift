import CredenceServer
import Testing

/// `credence check-config` said "1 migrations".
@Suite struct PluralTests {
    @Test(arguments: [(0, "0 migrations"), (1, "1 migration"), (2, "2 migrations")])
    func countsTakeTheRightNumber(count: Int, expected: String) {
        #expect(plural(count, "migration") == expected)
    }
}
