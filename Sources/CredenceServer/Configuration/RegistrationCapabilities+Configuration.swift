public import CredenceCore

extension RegistrationCapabilities {
    /// What a server with `configuration` can register: every authentication method, except
    /// `tls_client_auth` when no client CA trust store (`mtls.trusted_ca_file`) is loaded (no
    /// certificate subject could be trusted), and the configured assertion algorithms. The
    /// registration endpoint and `credence ssa check` both use this.
    public init(configuration: CredenceConfiguration, clientCertificatesVerifiable: Bool) {
        self.init(
            authenticationMethods: ClientAuthenticationMethod.allCases.filter {
                $0 != .tlsClientAuth || clientCertificatesVerifiable
            },
            assertionSigningAlgorithms: configuration.tokens.assertionSigningAlgorithms
        )
    }
}
