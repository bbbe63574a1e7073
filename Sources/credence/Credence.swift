import ArgumentParser

/// The `credence` command: the FastCGI responder and the operator's tools
/// around it (configuration check, database migrations, signing keys, clients, minted
/// tokens, housekeeping, software statements).
@main
struct Credence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credence",
        abstract: "An OAuth 2.0 authorization server for Open Banking style dynamic client registration.",
        discussion: """
            Credence runs as a FastCGI responder behind nginx or Apache, which terminate TLS and mutual TLS. State lives in PostgreSQL, so any number of responders can serve the same issuer. A typical first deployment:

              credence check-config  --config /etc/credence/credence.yaml
              credence migrate       --config /etc/credence/credence.yaml
              credence keys generate --config /etc/credence/credence.yaml --alg ES256
              credence check-config  --config /etc/credence/credence.yaml --database
              credence serve         --config /etc/credence/credence.yaml
              credence clients create --config /etc/credence/credence.yaml --auth-method tls_client_auth \\
                  --subject-dn 'CN=registrar,O=Example Bank,C=GB' --scope DynamicClientRegistration

            and `credence maintenance` from a timer every few minutes.

            Secrets can come from the environment instead of the file: CREDENCE_DATABASE_URL (libpq conninfo or URI) and CREDENCE_KEY_ENCRYPTION_KEY (base64 of 32 random bytes, e.g. `openssl rand -base64 32`).
            """,
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, MigrateCommand.self, KeysCommand.self, ClientsCommand.self,
            TokensCommand.self, MaintenanceCommand.self, AuditCommand.self, SSACommand.self, JWKSCommand.self,
        ]
    )
}
