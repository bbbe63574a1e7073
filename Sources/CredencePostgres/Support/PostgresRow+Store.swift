import CredenceCore
import PostgresLibPQ

extension PostgresRow {
    /// Column `column` as one of `Value`'s cases, or `corruptRecord` when the
    /// stored text is none of them (a CHECK constraint should make that impossible).
    func decodeEnum<Value: RawRepresentable>(_ column: String, as type: Value.Type) throws -> Value
    where Value.RawValue == String {
        let raw = try decode(column, as: String.self)
        guard let value = Value(rawValue: raw) else {
            throw StoreError.corruptRecord("column \(column) holds an unknown value")
        }
        return value
    }
}
