import CredenceCore
import CredenceCurl
import CredenceServer
import CurlHTTP
import Logging

extension RemoteJWKSCache {
    /// The process-wide cache of clients' `jwks_uri` sets, fetched with libcurl under
    /// `jwks_fetch`. Make one per process and share it between workers (it is thread-safe).
    static func make(configuration: CredenceConfiguration, logger: Logger) throws(HTTPSClientError) -> RemoteJWKSCache {
        let settings = configuration.jwksFetch
        let client = try HTTPSClient(
            configuration: HTTPSClientConfiguration(
                connectTimeout: .seconds(settings.connectTimeoutSeconds),
                timeout: .seconds(settings.timeoutSeconds),
                maxBodyBytes: settings.maxBytes,
                caFile: settings.caFile,
                proxy: settings.proxy,
                userAgent: "Credence (\(configuration.issuer.value))"
            )
        )
        return RemoteJWKSCache(policy: settings.policy, fetcher: CurlJWKSetFetcher(client: client), logger: logger)
    }
}
