public import CredenceJOSE

extension JWKSet {
    /// Whether any entry, usable or not, has `kid` `keyID`: a `kid` the set knows needs no refetch.
    public func contains(keyID: String) -> Bool {
        keys.contains { $0.keyID == keyID } || skipped.contains { $0.keyID == keyID }
    }
}
