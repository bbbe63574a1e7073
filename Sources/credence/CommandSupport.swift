import ArgumentParser
import CredenceCore
import CredenceJSON
import CredenceServer
import Foundation
import OpenSSLCrypto

/// Exit statuses of the operator commands (sysexits.h), so scripts can tell a mistake in
/// the command line from a database outage.
enum CommandExit {
    /// A refused operation on good input: unknown client, duplicate id, a store failure.
    static let failed = ExitCode(1)
    /// EX_USAGE: the command line or a file it names is unusable; nothing was written.
    static let usage = ExitCode(64)
    /// EX_UNAVAILABLE: the database cannot be reached.
    static let unavailable = ExitCode(69)
    /// EX_CONFIG: the configuration file is unusable.
    static let configuration = ExitCode(78)
}

extension CredenceConfiguration {
    /// The key-encryption key, or exit 78 when none is configured.
    func keyEncryptionKeyForCommand() throws -> KeyEncryptionKey {
        guard let bytes = keys.encryptionKey?.revealed else {
            printError("no key-encryption key configured (keys.encryption_key_file or CREDENCE_KEY_ENCRYPTION_KEY)")
            throw CommandExit.configuration
        }
        do {
            return try KeyEncryptionKey(bytes: bytes)
        } catch {
            printError("the key-encryption key is unusable: \(error)")
            throw CommandExit.configuration
        }
    }
}

/// Runs a store operation for a command: a database outage exits 69, any other store
/// failure 1, each with the store's reason (which never holds a secret).
func performStoreOperation<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as StoreError {
        printError("\(what): \(error.reason)")
        throw error.code == .unavailable ? CommandExit.unavailable : CommandExit.failed
    }
}

/// Prints a refusal of the command line and exits 64 (nothing has been written).
func usageFailure(_ message: String) -> ExitCode {
    printError(message)
    return CommandExit.usage
}

/// Writes a JSON document as one line on standard output (pipe it to `jq .` to read it).
func printJSON(_ value: JSONValue) {
    FileHandle.standardOutput.write(Data(value.serialized() + [UInt8(ascii: "\n")]))
}

/// `text` made safe for a terminal line: control characters (C0, DEL, C1), line and
/// paragraph separators and bidirectional overrides, which a dynamically registered
/// `client_name` could carry to rewrite the operator's screen, are shown as `\u{…}`.
func terminalSafe(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        let value = scalar.value
        let unsafe =
            value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
            || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E
            || value == 0x200F || value == 0x061C
        if unsafe {
            result += "\\u{" + String(value, radix: 16) + "}"
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}
