internal import CLibPQ

extension PostgresConnection {
    /// Runs `body` inside a transaction: `COMMIT` when it returns, `ROLLBACK`
    /// when it throws (the error is rethrown), so a failure part-way leaves
    /// nothing written. A nested call becomes a savepoint. Inside the block
    /// nothing reconnects: a lost session fails every further call until the
    /// block ends. (A session found dead at `BEGIN` is replaced first, since
    /// nothing has run yet.)
    @discardableResult
    public func transaction<Value>(_ body: (PostgresConnection) throws -> Value) throws -> Value {
        if transactionDepth > 0 { return try savepoint(body) }
        try begin()
        transactionDepth = 1
        defer { transactionDepth = 0 }
        let value: Value
        do {
            value = try body(self)
        } catch {
            rollbackIfOpen()
            throw error
        }
        try commit()
        return value
    }

    private func begin() throws(PostgresError) {
        let hadSession = isConnected
        do {
            try simple("BEGIN", what: "BEGIN")
        } catch {
            // The session died while idle; nothing has run yet, so start over on a new one.
            guard error.code == .connectionFailure, hadSession else { throw error }
            try simple("BEGIN", what: "BEGIN")
        }
    }

    private func commit() throws(PostgresError) {
        if sessionTransactionStatus == PQTRANS_INERROR {
            // A statement failed and the caller went on: COMMIT would only roll back.
            rollbackIfOpen()
            throw .queryFailure(
                "a statement in the transaction failed; it was rolled back",
                sqlState: .inFailedTransaction
            )
        }
        let result = try simple("COMMIT", what: "COMMIT")
        guard result.commandStatus == "COMMIT" else {
            throw .queryFailure("the transaction was rolled back", sqlState: .inFailedTransaction)
        }
    }

    private func rollbackIfOpen() {
        switch sessionTransactionStatus {
        case PQTRANS_INTRANS, PQTRANS_INERROR:
            _ = try? simple("ROLLBACK", what: "ROLLBACK")
        default:
            break
        }
    }

    private func savepoint<Value>(_ body: (PostgresConnection) throws -> Value) throws -> Value {
        let name = "credence_savepoint_\(transactionDepth)"
        try simple("SAVEPOINT \(name)", what: "SAVEPOINT")
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        let value: Value
        do {
            value = try body(self)
        } catch {
            if sessionTransactionStatus != nil {
                _ = try? simple("ROLLBACK TO SAVEPOINT \(name)", what: "ROLLBACK TO SAVEPOINT")
                _ = try? simple("RELEASE SAVEPOINT \(name)", what: "RELEASE SAVEPOINT")
            }
            throw error
        }
        try simple("RELEASE SAVEPOINT \(name)", what: "RELEASE SAVEPOINT")
        return value
    }
}
