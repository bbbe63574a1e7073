public import CredenceJSON

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A JWT claims set (RFC 7519 §4): a JSON object whose registered claims have been type-checked,
/// with typed accessors. Rules about values (expiry, issuer, subject, audience) live in
/// ``validate(now:rules:)``, which takes the time as a parameter.
///
/// The string claims (`iss`, `sub`, `aud`, `jti`) are identifiers: compare them with
/// `hasSameCodePoints(as:)` (or key sets with `CodePointString`), never with `==`, which treats
/// canonically equivalent Unicode as equal.
public struct JWTClaims: Sendable {
    /// Every claim, in order.
    public let object: JSONObject
    /// `iss` (RFC 7519 §4.1.1).
    public let issuer: String?
    /// `sub` (RFC 7519 §4.1.2).
    public let subject: String?
    /// `aud` (RFC 7519 §4.1.3), a single string read as a one-element array; empty when absent.
    public let audience: [String]
    /// `exp` (RFC 7519 §4.1.4) in seconds since the epoch (a fractional NumericDate is floored).
    public let expiresAt: Int64?
    /// `nbf` (RFC 7519 §4.1.5).
    public let notBefore: Int64?
    /// `iat` (RFC 7519 §4.1.6).
    public let issuedAt: Int64?
    /// `jti` (RFC 7519 §4.1.7).
    public let jwtID: String?

    /// Checks the registered claims' types: `iss`, `sub`, `jti` strings; `aud` a string or an
    /// array of strings; `exp`, `nbf`, `iat` numbers (RFC 7519 §2 NumericDate).
    public init(_ object: JSONObject) throws(JOSEError) {
        // One pass over the members (see JWSHeader on why `==` on these names is exact).
        var issuer: String?
        var subject: String?
        var jwtID: String?
        var expiresAt: Int64?
        var notBefore: Int64?
        var issuedAt: Int64?
        var audience: [String] = []
        for (name, value) in object {
            switch name {
            case "iss": issuer = try Self.string(value, name)
            case "sub": subject = try Self.string(value, name)
            case "jti": jwtID = try Self.string(value, name)
            case "exp": expiresAt = try Self.numericDate(value, name)
            case "nbf": notBefore = try Self.numericDate(value, name)
            case "iat": issuedAt = try Self.numericDate(value, name)
            case "aud": audience = try Self.audience(value)
            default: break
            }
        }
        self.object = object
        self.issuer = issuer
        self.subject = subject
        self.jwtID = jwtID
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.audience = audience
    }

    /// Builds a claims set to sign (an access token, a test assertion); `other` members come
    /// after the registered ones and may not repeat them.
    public init(
        issuer: String? = nil,
        subject: String? = nil,
        audience: [String] = [],
        expiresAt: Int64? = nil,
        notBefore: Int64? = nil,
        issuedAt: Int64? = nil,
        jwtID: String? = nil,
        other: JSONObject = JSONObject()
    ) throws(JOSEError) {
        var object = JSONObject()
        if let issuer { object["iss"] = .string(issuer) }
        if let subject { object["sub"] = .string(subject) }
        if audience.count == 1 {
            object["aud"] = .string(audience[0])
        } else if !audience.isEmpty {
            object["aud"] = .array(audience.map(JSONValue.string))
        }
        if let expiresAt { object["exp"] = JSONValue(expiresAt) }
        if let notBefore { object["nbf"] = JSONValue(notBefore) }
        if let issuedAt { object["iat"] = JSONValue(issuedAt) }
        if let jwtID { object["jti"] = .string(jwtID) }
        for (name, value) in other {
            guard object[name] == nil else { throw .make(.duplicateMember, "claim \"\(name)\" given twice") }
            object[name] = value
        }
        try self.init(object)
    }

    /// Parses a payload as a claims set (strict JSON, no repeated names).
    init(payload: [UInt8], maxDepth: Int) throws(JOSEError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(
                payload,
                limits: JSONLimits(maxBytes: max(payload.count, 1), maxDepth: maxDepth)
            )
        } catch {
            throw .json(error, in: "claims set")
        }
        guard case .object(let object) = value else { throw .make(.invalidJSON, "the claims set is not a JSON object") }
        try self.init(object)
    }

    /// A claim by name.
    public subscript(name: String) -> JSONValue? { object[name] }

    /// The compact JSON of the claims, to sign.
    public func serialized() -> [UInt8] { JSONValue.object(object).serialized() }

    private static func string(_ value: JSONValue, _ name: String) throws(JOSEError) -> String {
        guard case .string(let text) = value else { throw .make(.invalidClaim, "\"\(name)\" is not a string") }
        return text
    }

    /// RFC 7519 §4.1.3: a string, or an array of strings.
    private static func audience(_ value: JSONValue) throws(JOSEError) -> [String] {
        switch value {
        case .string(let single):
            return [single]
        case .array(let values):
            var audiences: [String] = []
            audiences.reserveCapacity(values.count)
            for value in values {
                guard case .string(let text) = value else { throw .make(.invalidClaim, "\"aud\" holds a non-string") }
                audiences.append(text)
            }
            return audiences
        default:
            throw .make(.invalidClaim, "\"aud\" is neither a string nor an array of strings")
        }
    }

    /// RFC 7519 §2 NumericDate: a JSON number of seconds; a fractional value is floored.
    private static func numericDate(_ value: JSONValue, _ name: String) throws(JOSEError) -> Int64 {
        guard case .number(let number) = value else { throw .make(.invalidClaim, "\"\(name)\" is not a number") }
        if let integer = number.int64Value { return integer }
        guard let double = number.doubleValue, double.isFinite, double.magnitude < 9.0e15 else {
            throw .make(.invalidClaim, "\"\(name)\" is not a usable NumericDate")
        }
        return Int64(double.rounded(.down))
    }
}

extension JWTClaims {
    /// Applies `rules` at the instant `now`; the first failing check throws its own code
    /// (``JOSEError/Code/expired``, ``JOSEError/Code/audienceMismatch``, ...).
    public func validate(now: Date, rules: JWTValidationRules) throws(JOSEError) {
        try validate(nowSeconds: Int64(now.timeIntervalSince1970.rounded(.down)), rules: rules)
    }

    /// As ``validate(now:rules:)`` with the time in whole seconds since the epoch.
    public func validate(nowSeconds now: Int64, rules: JWTValidationRules) throws(JOSEError) {
        for name in rules.requiredClaims.sorted() where object[name] == nil {
            throw .make(.missingClaim, "the claim \"\(name)\" is required")
        }
        let skew = max(rules.clockSkew, 0)
        // RFC 7519 §4.1.4: the current time must be before exp.
        if let expiresAt, now >= expiresAt.addingReportingOverflow(skew).partialValue {
            throw .make(.expired, "the token expired")
        }
        // RFC 7519 §4.1.5: the current time must be at or after nbf.
        if let notBefore, now < notBefore.subtractingReportingOverflow(skew).partialValue {
            throw .make(.notYetValid, "the token is not valid yet")
        }
        if let issuedAt, issuedAt > now.addingReportingOverflow(skew).partialValue {
            throw .make(.issuedInFuture, "the token was issued in the future")
        }
        if let maxLifetime = rules.maximumLifetime, let expiresAt {
            let start = issuedAt ?? notBefore ?? now
            let lifetime = expiresAt.subtractingReportingOverflow(start)
            if lifetime.overflow || lifetime.partialValue > maxLifetime {
                throw .make(.lifetimeTooLong, "the token lives longer than \(maxLifetime) seconds")
            }
        }
        // Identifiers compare by code points, never with `==` (which would take U+212A KELVIN
        // SIGN for "K"): RFC 7519 §4.1.1–§4.1.3 compare StringOrURI values exactly (RFC 7519 §2).
        if let expected = rules.expectedIssuer, !(issuer?.hasSameCodePoints(as: expected) ?? false) {
            throw .make(
                .issuerMismatch,
                issuer == nil ? "the token has no issuer" : "the token's issuer is not the expected one"
            )
        }
        if let expected = rules.expectedSubject, !(subject?.hasSameCodePoints(as: expected) ?? false) {
            throw .make(
                .subjectMismatch,
                subject == nil ? "the token has no subject" : "the token's subject is not the expected one"
            )
        }
        if let accepted = rules.acceptedAudiences {
            // RFC 7519 §4.1.3: the recipient must identify itself with a value in the claim.
            let identified = audience.contains { value in accepted.contains { $0.hasSameCodePoints(as: value) } }
            guard identified else {
                throw .make(.audienceMismatch, "the token's audience does not include this recipient")
            }
        }
    }
}
