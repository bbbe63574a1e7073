/// JSON text bound as `jsonb` (and read back from `json` or `jsonb`), so a
/// document is stored as JSON the server can index and query, not as text.
/// Reading `jsonb` back gives the server's normalized form: same members,
/// whitespace and member order may differ from what was written.
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable {
    /// The serialized JSON document.
    public var text: String

    /// Wraps serialized JSON; the server refuses it if it is not valid JSON.
    public init(_ text: String) { self.text = text }

    /// `jsonb`.
    public static var postgresDataType: PostgresDataType { .jsonb }
    /// jsonb's binary format: version byte 1, then the text.
    public var postgresBinaryBytes: [UInt8] { [1] + Array(text.utf8) }
}
