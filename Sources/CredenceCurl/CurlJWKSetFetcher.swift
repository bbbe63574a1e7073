public import CredenceCore
public import CurlHTTP

/// The core's ``JWKSetFetcher`` over libcurl: one blocking HTTPS GET per fetch, with the
/// client's limits, and its errors translated into the core's codes.
public struct CurlJWKSetFetcher: JWKSetFetcher {
    /// The media types asked for: RFC 7517 §8.5.1's, then plain JSON (many hosts serve that).
    static let accept = "application/jwk-set+json, application/json;q=0.9"

    private let client: HTTPSClient

    /// A fetcher over `client`.
    public init(client: HTTPSClient) {
        self.client = client
    }

    public func fetchJWKSetDocument(from url: RemoteJWKSURL) throws(RemoteJWKSError) -> FetchedJWKSetDocument {
        do {
            let response = try client.get(url.value, accept: Self.accept)
            return FetchedJWKSetDocument(body: response.body, maxAge: response.maxAge)
        } catch {
            throw Self.translate(error)
        }
    }

    /// The core's view of a transport failure; libcurl's message stays in the detail.
    static func translate(_ error: HTTPSClientError) -> RemoteJWKSError {
        switch error.code {
        case .timeout:
            RemoteJWKSError(.fetchTimedOut, error.reason, detail: error.debugDescription)
        case .tooLarge:
            RemoteJWKSError(.documentTooLarge, error.reason, detail: error.debugDescription)
        case .notHTTPS, .invalidURL:
            RemoteJWKSError(.invalidURL, error.reason, detail: error.debugDescription)
        default:
            RemoteJWKSError(.fetchFailed, "\(error.code): \(error.reason)", detail: error.debugDescription)
        }
    }
}
