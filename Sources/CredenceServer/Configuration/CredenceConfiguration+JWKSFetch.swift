import CredenceCore
import Foundation
import OpenSSLCrypto

extension CredenceConfiguration {
    /// `jwks_fetch`: how remote JWK Sets (a client's `jwks_uri`) are fetched and cached. Every
    /// fetch is an outbound request from inside the bank to a URL a client chose, so nothing is
    /// fetched until the operator lists the hosts.
    public struct JWKSFetchSettings: Sendable {
        /// Hosts (`host`, port 443; or `host:port`) whose `jwks_uri` may be fetched; empty refuses all.
        public var allowedHosts: JWKSHostAllowlist
        /// Seconds for DNS, TCP connect and TLS handshake together.
        public var connectTimeoutSeconds: Int
        /// Seconds for the whole fetch; a token request waits at most this long for it.
        public var timeoutSeconds: Int
        /// Largest JWK Set document accepted, in bytes.
        public var maxBytes: Int
        /// How long a fetched set is used before it is fetched again (a smaller
        /// `Cache-Control: max-age` shortens it, not below 60 s).
        public var cacheSeconds: Int
        /// How long the last good set keeps serving while refetches fail.
        public var maxStaleSeconds: Int
        /// PEM bundle of CAs trusted for the fetched hosts instead of the system's, if set.
        public var caFile: String?
        /// An explicit HTTP(S) proxy URL; environment proxy variables are never used.
        public var proxy: String?

        /// The defaults: nothing allowed, 3 s connect, 5 s total, 64 KiB, 300 s, 3600 s stale.
        public static let defaults = JWKSFetchSettings(
            allowedHosts: .empty,
            connectTimeoutSeconds: 3,
            timeoutSeconds: 5,
            maxBytes: 65_536,
            cacheSeconds: 300,
            maxStaleSeconds: 3600,
            caFile: nil,
            proxy: nil
        )

        /// The cache policy these settings describe.
        public var policy: RemoteJWKSPolicy {
            RemoteJWKSPolicy(
                allowedHosts: allowedHosts,
                cacheDuration: TimeInterval(cacheSeconds),
                maximumStaleness: TimeInterval(maxStaleSeconds),
                maximumDocumentBytes: maxBytes
            )
        }
    }

    /// Reads the `jwks_fetch` section (absent: the defaults).
    static func parseJWKSFetch(
        _ section: inout YAMLSection,
        readFile: (String) -> [UInt8]?,
        problems: inout [ConfigurationProblem]
    ) -> JWKSFetchSettings {
        var settings = JWKSFetchSettings.defaults
        if let entries = section.stringList("allowed_hosts", problems: &problems) {
            let invalid = entries.compactMap(JWKSHostAllowlist.problem(with:))
            if let allowlist = JWKSHostAllowlist(entries), invalid.isEmpty {
                settings.allowedHosts = allowlist
            } else {
                problems.append(section.problem("allowed_hosts", invalid.joined(separator: "; ")))
            }
        }
        settings.connectTimeoutSeconds =
            section.integer("connect_timeout_seconds", in: 1...60, problems: &problems)
            ?? settings.connectTimeoutSeconds
        settings.timeoutSeconds =
            section.integer("timeout_seconds", in: 1...60, problems: &problems) ?? settings.timeoutSeconds
        if settings.connectTimeoutSeconds > settings.timeoutSeconds {
            problems.append(
                section.problem(
                    section.contains("connect_timeout_seconds") ? "connect_timeout_seconds" : "timeout_seconds",
                    "connect_timeout_seconds (\(settings.connectTimeoutSeconds)) must not exceed timeout_seconds (\(settings.timeoutSeconds))"
                )
            )
        }
        settings.maxBytes = section.integer("max_bytes", in: 1024...1_048_576, problems: &problems) ?? settings.maxBytes
        settings.cacheSeconds =
            section.integer("cache_seconds", in: 10...86_400, problems: &problems) ?? settings.cacheSeconds
        settings.maxStaleSeconds =
            section.integer("max_stale_seconds", in: 0...604_800, problems: &problems) ?? settings.maxStaleSeconds
        if let caFile = section.string("ca_file", problems: &problems) {
            if let bytes = readFile(caFile) {
                do {
                    _ = try CertificateTrustStore(pemBundle: String(decoding: bytes, as: UTF8.self))
                    settings.caFile = caFile
                } catch {
                    problems.append(
                        section.problem("ca_file", "\(caFile) is not a usable PEM bundle of CA certificates: \(error)")
                    )
                }
            } else {
                problems.append(section.problem("ca_file", "cannot read \(caFile)"))
            }
        }
        if let proxy = section.string("proxy", problems: &problems) {
            let lowered = proxy.lowercased()
            if !(lowered.hasPrefix("http://") || lowered.hasPrefix("https://")) || proxy.contains("@")
                || proxy.contains(where: { $0.isWhitespace })
            {
                problems.append(
                    section.problem("proxy", "must be an http:// or https:// proxy URL without credentials")
                )
            } else {
                settings.proxy = proxy
            }
        }
        section.reportUnknownKeys(problems: &problems)
        return settings
    }
}
