/// A count with its noun in the right number ("1 migration", "2 migrations"), for the
/// command line's messages. English nouns that take a plain "s" only.
public func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
