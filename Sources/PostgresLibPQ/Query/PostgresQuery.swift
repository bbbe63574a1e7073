/// A statement with its parameters kept apart from its text. Written as a
/// string literal, every interpolated value becomes a placeholder (`$1`, `$2`,
/// …) and a bound parameter, so a value can never change what the statement
/// does:
///
///     let rows = try connection.query("SELECT * FROM clients WHERE client_id = \(clientID)")
///
/// SQL assembled from runtime strings is only possible through the name that
/// says so, `PostgresQuery(unsafeSQL:)`.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The statement text, with `$n` placeholders.
    public let sql: String
    /// The parameters, in placeholder order.
    public let bindings: [PostgresBinding]
    /// Why the query cannot be sent, when building it went wrong (e.g. an
    /// identifier with a NUL); the connection refuses it with `invalidQuery`.
    let refusal: String?

    /// Takes `sql` as it is, with `bindings` for the `$n` placeholders it
    /// already contains. The caller vouches that no untrusted text went into `sql`.
    public init(unsafeSQL sql: String, bindings: [PostgresBinding] = []) {
        self.sql = sql
        self.bindings = bindings
        self.refusal = nil
    }

    /// A literal with no interpolation: constant SQL written in the source.
    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    /// A literal with interpolated values, each bound as a parameter.
    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.bindings = stringInterpolation.bindings
        self.refusal = stringInterpolation.refusal
    }

    /// Builds the query text: literal pieces as they are, values as placeholders.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var bindings: [PostgresBinding] = []
        var refusal: String?

        /// Reserves room for the text.
        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + 4 * interpolationCount)
            bindings.reserveCapacity(interpolationCount)
        }

        /// Appends SQL written in the source.
        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds `value` as the next parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bind(value.postgresBinding)
        }

        /// Binds `value`, or NULL of `Value`'s type when it is `nil`.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bind(value?.postgresBinding ?? .null(Value.postgresDataType))
        }

        /// Binds a prepared binding as the next parameter.
        public mutating func appendInterpolation(binding: PostgresBinding) {
            bind(binding)
        }

        /// Appends a quoted identifier (a schema or table name chosen at run
        /// time), doubling embedded quotes so the name cannot end the identifier.
        public mutating func appendInterpolation(identifier: String) {
            if let quoted = PostgresQuery.quoteIdentifier(identifier) {
                sql += quoted
            } else {
                sql += "\"\""
                if refusal == nil { refusal = "identifier is empty or contains NUL" }
            }
        }

        private mutating func bind(_ binding: PostgresBinding) {
            bindings.append(binding)
            sql += "$\(bindings.count)"
        }
    }

    /// `name` as a double-quoted SQL identifier, or `nil` when it is empty or
    /// contains NUL (which no identifier may).
    public static func quoteIdentifier(_ name: String) -> String? {
        guard !name.isEmpty, !name.utf8.contains(0) else { return nil }
        // Scalars, not Characters: a quote followed by a combining mark is one
        // Character but still a quote to the server.
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in name.unicodeScalars {
            if scalar == "\"" { quoted.append("\"") }
            quoted.append(scalar)
        }
        quoted.append("\"")
        return String(quoted)
    }
}
