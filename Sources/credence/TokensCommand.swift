import ArgumentParser
import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredencePostgres
import CredenceServer
import Foundation

/// `credence tokens mint`: an access token for an existing client without a token request,
/// for an operator who needs an initial access token in a script without handling the
/// client's secret or key.
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Mint access tokens directly.",
        subcommands: [Mint.self]
    )

    struct Mint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint an access token for an existing client and print it as JSON.",
            discussion: """
                The token is exactly what POST /token would issue to the client (RFC 9068 JWT: iss = issuer, aud = tokens.audience, sub = client_id = the client, scope, iat, exp, jti), signed with the active signing key; it introspects, revokes and expires like any other. Prints one line of JSON: {"access_token", "token_type": "Bearer", "expires_in", "scope"}. Treat the output as a secret: whoever holds the token acts as the client until it expires.

                A typical use is the initial access token of the dynamic-registration flow:

                  credence tokens mint --client REGISTRAR_ID \\
                      --scope DynamicClientRegistration --expires-in 3600

                A minted token cannot be bound to a TLS client certificate (no certificate is presented here). For a client registered with tls_client_certificate_bound_access_tokens, or when tokens.force_certificate_binding is set, minting is refused unless --unbound is given: a resource server would accept that token without the certificate the client's other tokens require.

                Exit status: 0 printed; 1 unknown client or no active signing key; 64 unusable command line (a scope the client is not registered for, a bound client without --unbound); 69 database unreachable; 78 unusable configuration.
                """
        )

        @OptionGroup var options: ConfigurationOption

        @Option(help: ArgumentHelp("The client_id the token is issued to (required).", valueName: "id"))
        var client: String

        @Option(
            help: ArgumentHelp(
                "A scope to grant; repeat it or give a space-separated list (required).",
                discussion: "Each must be one of the client's registered scopes (`credence clients show`).",
                valueName: "scope"
            )
        )
        var scope: [String] = []

        @Option(
            help: ArgumentHelp(
                "Lifetime of the token in seconds, 30 to 86400 (default: the client's lifetime, else tokens.access_token_lifetime_seconds).",
                valueName: "seconds"
            )
        )
        var expiresIn: Int?

        @Flag(
            help: ArgumentHelp(
                "Mint for a client whose tokens are certificate-bound, without the binding (default: refuse).",
                discussion:
                    "The token then carries no cnf claim, so any holder can use it: prefer a token from POST /token over mutual TLS."
            )
        )
        var unbound = false

        func validate() throws {
            if scope.flatMap({ $0.split(separator: " ") }).isEmpty {
                throw ValidationError("give at least one --scope")
            }
            if let expiresIn, !(30...86_400).contains(expiresIn) {
                throw ValidationError("--expires-in must be between 30 and 86400 seconds")
            }
        }

        func run() throws {
            let configuration = try options.load()
            let (client, store) = try ClientDefinition.existingClient(self.client, configuration: configuration)
            let requested = scope.flatMap { $0.split(separator: " ").map(String.init) }.joined(separator: " ")
            let scopes: [String]
            do {
                scopes = try ClientCredentialsGrant(forceCertificateBinding: false).scopes(
                    requested: requested,
                    client: client
                )
            } catch {
                throw usageFailure(
                    "\(error.errorDescription ?? error.code); the client's scopes: \(client.metadata.scopes.isEmpty ? "none" : client.metadata.scopes.joined(separator: " "))"
                )
            }
            let mustBind = client.metadata.certificateBoundAccessTokens || configuration.tokens.forceCertificateBinding
            if mustBind && !unbound {
                throw usageFailure(
                    "\(terminalSafe(client.clientID))'s tokens are bound to its TLS client certificate (RFC 8705 §3), which a minted token cannot be; get one from POST /token over mutual TLS, or pass --unbound"
                )
            }

            let now = Date()
            let keys = PostgresSigningKeyStore(connection: store.connection)
            let published = try performStoreOperation("read signing keys") { try keys.publishedKeys(at: now) }
            guard let active = published.first(where: { $0.state == .active }) else {
                printError("no active signing key: run `credence keys generate`")
                throw CommandExit.failed
            }
            let signer: JWSSigner
            do {
                signer = try SigningKeyOpener(encryptionKey: configuration.keys.encryptionKey).signer(for: active)
            } catch {
                printError("cannot open the active signing key \(active.kid): \(error)")
                throw CommandExit.failed
            }
            let issuer = AccessTokenIssuer(
                issuer: configuration.issuer.value,
                audience: configuration.tokens.audience,
                defaultLifetimeSeconds: configuration.tokens.accessTokenLifetimeSeconds
            )
            let token = try issuer.issue(
                for: client,
                scopes: scopes,
                certificateThumbprint: nil,
                signer: signer,
                now: now,
                lifetimeSeconds: expiresIn
            )
            printJSON(.object(token.responseJSON))
        }
    }
}
