/// A JSON value (RFC 8259 §3), the one representation every Credence target parses into and
/// renders from: JOSE headers and claims, request bodies, JWKs and metadata.
///
/// Equality follows JSON: strings and names compare by code points (RFC 8259 §8.3), objects
/// ignore member order, numbers compare by their exact text (see ``JSONNumber``).
public enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, with its exact text kept.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object with unique member names.
    case object(JSONObject)

    /// Equal as JSON values: strings by code points, objects in any member order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a.hasSameCodePoints(as: b)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }

    /// Hashes consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .number(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(3 as UInt8)
            value.hashCodePoints(into: &hasher)
        case .array(let values):
            hasher.combine(4 as UInt8)
            hasher.combine(values.count)
            for value in values { value.hash(into: &hasher) }
        case .object(let object):
            hasher.combine(5 as UInt8)
            hasher.combine(object)
        }
    }
}
