import CredenceCore
import Foundation

/// Reads what a request presents to authenticate its client: HTTP Basic (RFC 6749 §2.3.1:
/// id and secret form-encoded, then joined by `:` and base64-encoded), the form parameters
/// of `client_secret_post` and `private_key_jwt`, and the TLS client certificate the web
/// server passed. A Basic header that does not decode is `invalid_client` with a Basic
/// challenge.
enum ClientCredentialsReader {
    /// The common start of introspection and revocation (RFC 7662 §2.1, RFC 7009 §2.1): a
    /// form body, the caller authenticated like at the token endpoint, and the `token`.
    static func authenticatedTokenRequest(
        _ context: RequestContext,
        authenticator: ClientAuthenticator
    ) throws -> (caller: AuthenticatedClient, token: String, form: FormBody) {
        let form = try FormBody(request: context.request)
        let credentials = try read(from: context, form: form)
        let caller = try authenticator.authenticate(credentials, now: context.now)
        context.clientID = caller.client.clientID
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
        return (caller, token, form)
    }

    static func read(from context: RequestContext, form: FormBody) throws(OAuthError) -> ClientCredentials {
        var basic: BasicCredentials?
        if let authorization = context.request.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "basic" else {
                throw .invalidClient(
                    "only HTTP Basic client authentication goes in the Authorization header here",
                    basicChallenge: true
                )
            }
            basic = try decodeBasic(String(parts[1]))
        }
        return ClientCredentials(
            basic: basic,
            clientID: form["client_id"],
            clientSecret: form["client_secret"],
            assertionType: form["client_assertion_type"],
            assertion: form["client_assertion"],
            certificate: context.clientCertificate
        )
    }

    static func decodeBasic(_ encoded: String) throws(OAuthError) -> BasicCredentials {
        // Built only when needed: an error records its location and headers (measurably costly per request).
        var failure: OAuthError {
            .invalidClient(
                "the Basic credentials are not base64 of form-encoded client_id:client_secret (RFC 6749 §2.3.1)",
                basicChallenge: true
            )
        }
        guard encoded.utf8.count <= 4096, let data = Data(base64Encoded: encoded.trimmingWhitespace()),
            let colon = data.firstIndex(of: UInt8(ascii: ":"))
        else { throw failure }
        let bytes = [UInt8](data)
        let split = colon - data.startIndex
        guard let id = PercentDecoding.decode(bytes[..<split], plusAsSpace: true),
            let secret = PercentDecoding.decode(bytes[(split + 1)...], plusAsSpace: true),
            !id.isEmpty, !secret.isEmpty
        else { throw failure }
        return BasicCredentials(clientID: id, secret: secret)
    }
}
