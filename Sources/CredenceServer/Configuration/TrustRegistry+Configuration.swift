public import CredenceCore

extension TrustRegistry {
    /// The registry of `registration.trusted_issuers`, with `clock_skew_seconds`, fetching the
    /// issuers' `jwks_uri` and revoked-keys lists and the statements' software keys through the
    /// process-wide `remoteKeys` cache (`nil` only where no entry or statement needs a remote set).
    public init(configuration: CredenceConfiguration, remoteKeys: RemoteJWKSCache?) throws(InvalidEntries) {
        try self.init(
            issuers: configuration.registration.trustedIssuers.map(\.entry),
            clockSkewSeconds: configuration.clockSkewSeconds,
            remoteKeys: remoteKeys
        )
    }
}
