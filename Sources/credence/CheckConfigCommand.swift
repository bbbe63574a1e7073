import ArgumentParser
import CredencePostgres
import CredenceServer
import Foundation

/// `credence check-config`: validates the configuration file and, with
/// `--database`, that the database is reachable and migrated.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file, naming every problem by its key.",
        discussion:
            "Exits 0 when the file is usable, 78 when it is not (every problem is listed; a trusted signer certificate that has expired counts, though serve starts with it and refuses its statements), 69 when --database is given and the database is unreachable or not migrated."
    )

    @OptionGroup var options: ConfigurationOption

    @Flag(help: "Also connect to the database and check that its schema is migrated.")
    var database = false

    func run() throws {
        let configuration = try options.load()
        let signerNotices = configuration.signerCertificateNotices(at: Date())
        let expired = signerNotices.filter(\.hasExpired)
        if !expired.isEmpty {
            printError(
                "configuration \(options.path) has \(plural(expired.count, "expired signer certificate")) (remove or replace it):"
            )
            for notice in expired { printError("  - \(notice.message)") }
            throw ExitCode(78)
        }
        print("configuration \(options.path) is valid")
        print("  issuer:          \(configuration.issuer)")
        print("  base path:       \(configuration.basePath.isEmpty ? "/" : configuration.basePath)")
        print("  listen:          \(configuration.listen) (\(configuration.workers) workers)")
        print("  FastCGI peers:   \(Self.peerSummary(configuration))")
        print("  request timeout: \(configuration.fastCGIPeers.requestTimeoutSeconds) s for parameters and body")
        print("  max body:        \(configuration.maxBodyBytes) bytes")
        print("  key encryption:  \(configuration.keys.encryptionKeySource)")
        if let alias = configuration.mtls.aliasBaseURL { print("  mTLS alias:      \(alias)") }
        let jwksHosts = configuration.jwksFetch.allowedHosts
        print(
            "  jwks_uri hosts:  \(jwksHosts.isEmpty ? "none (clients with a jwks_uri are refused)" : jwksHosts.description)"
        )
        let trusted = configuration.registration.trustedIssuers
        print(
            "  trusted issuers: \(trusted.isEmpty ? "none (every software statement is unapproved)" : "\(trusted.count)")"
        )
        for issuer in trusted { print("    - \(issuer.summary)") }
        let security = configuration.databaseTransportSecurity
        print(
            "  database:        \(security.map { "\($0.transport.rawValue), sslmode=\($0.sslmode)" } ?? "connection string not understood")"
        )
        if let reason = configuration.database.sslmodeRequireReason, security?.sslmode != "verify-full" {
            print("  sslmode reason:  \(reason)")
        }
        if let warning = configuration.databaseTransportWarning { printError("warning: \(warning)") }
        for notice in signerNotices { printError("warning: \(notice.message)") }
        guard database else { return }
        let connection = try configuration.connectForCommand()
        do {
            let status = try MigrationRunner(connection: connection, migrations: .embedded()).status()
            if status.isUpToDate {
                print("database reachable, schema up to date (\(plural(status.entries.count, "migration")))")
            } else {
                printError(
                    "database reachable but the schema is not up to date: \(plural(status.pending.count, "migration")) pending; run `credence migrate`"
                )
                throw ExitCode(69)
            }
        } catch let error as MigrationError {
            printError(error.description)
            throw ExitCode(69)
        }
    }

    /// Who can reach the FastCGI socket. A reachable TCP address without `allowed_peers`
    /// never gets here: loading the file refuses it.
    static func peerSummary(_ configuration: CredenceConfiguration) -> String {
        let peers = configuration.fastCGIPeers.allowedPeers
        let listed = peers.isEmpty ? "" : "; only from \(peers.joined(separator: ", ")) (allowed_peers)"
        switch configuration.listen {
        case .unixSocket:
            return "whoever may open the unix socket (socket_mode \(String(configuration.socketMode, radix: 8)))"
        case .tcp(let host, _) where FastCGIPeerSettings.isLoopback(host: host):
            return "this host only (loopback)" + listed
        case .tcp:
            return "only from \(peers.joined(separator: ", ")) (allowed_peers)"
        case .inheritedStandardInput:
            return "inherited socket"
                + (peers.isEmpty ? "; serve refuses it if other hosts can reach it (set allowed_peers)" : listed)
        }
    }
}
