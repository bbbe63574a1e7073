/// A PostgreSQL type OID (`pg_type.oid`): what a bound parameter is declared
/// as and what a result column holds, so decoding can refuse the wrong type.
public struct PostgresDataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The OID as the server reports it.
    public let rawValue: UInt32

    /// Wraps an OID.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `boolean`.
    public static let bool = PostgresDataType(rawValue: 16)
    /// `bytea`, raw bytes.
    public static let bytea = PostgresDataType(rawValue: 17)
    /// `"char"`, the one-byte internal type.
    public static let char = PostgresDataType(rawValue: 18)
    /// `name`, identifiers in the catalogs.
    public static let name = PostgresDataType(rawValue: 19)
    /// `bigint`.
    public static let int8 = PostgresDataType(rawValue: 20)
    /// `smallint`.
    public static let int2 = PostgresDataType(rawValue: 21)
    /// `integer`.
    public static let int4 = PostgresDataType(rawValue: 23)
    /// `text`.
    public static let text = PostgresDataType(rawValue: 25)
    /// `oid`.
    public static let oid = PostgresDataType(rawValue: 26)
    /// `json`, kept as written.
    public static let json = PostgresDataType(rawValue: 114)
    /// `real`.
    public static let float4 = PostgresDataType(rawValue: 700)
    /// `double precision`.
    public static let float8 = PostgresDataType(rawValue: 701)
    /// An untyped literal.
    public static let unknown = PostgresDataType(rawValue: 705)
    /// `character(n)`.
    public static let bpchar = PostgresDataType(rawValue: 1042)
    /// `character varying`.
    public static let varchar = PostgresDataType(rawValue: 1043)
    /// `timestamp without time zone`.
    public static let timestamp = PostgresDataType(rawValue: 1114)
    /// `timestamp with time zone`.
    public static let timestamptz = PostgresDataType(rawValue: 1184)
    /// `void`, what functions such as `pg_advisory_lock` return.
    public static let void = PostgresDataType(rawValue: 2278)
    /// `jsonb`, parsed and normalized JSON.
    public static let jsonb = PostgresDataType(rawValue: 3802)

    public var description: String {
        switch self {
        case .bool: "boolean"
        case .bytea: "bytea"
        case .char: "\"char\""
        case .name: "name"
        case .int8: "bigint"
        case .int2: "smallint"
        case .int4: "integer"
        case .text: "text"
        case .oid: "oid"
        case .json: "json"
        case .float4: "real"
        case .float8: "double precision"
        case .unknown: "unknown"
        case .bpchar: "character"
        case .varchar: "character varying"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .void: "void"
        case .jsonb: "jsonb"
        default: "oid \(rawValue)"
        }
    }
}
