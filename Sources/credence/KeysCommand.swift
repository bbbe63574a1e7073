import ArgumentParser
import CredenceCore
import CredenceJOSE
import CredencePostgres
import CredenceServer
import Foundation
import OpenSSLCrypto

/// `credence keys …`: the server's token-signing keys, stored in PostgreSQL
/// with the private half sealed under the key-encryption key.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the server's token-signing keys.",
        discussion: """
            Keys live in the database so every responder signs with the same key and publishes
            the same JWKS; private keys are sealed with AES-256-GCM under the key-encryption key.
            The first key generated becomes active. Later keys are published as `next` first, so
            JWKS caches learn them before they sign; `rotate` then activates the oldest `next`
            key (or a fresh one) and retires the active key, which stays published until every
            token it signed has expired. Responders pick up a rotation within
            keys.refresh_interval_seconds, without a restart.
            """,
        subcommands: [Generate.self, Rotate.self, List.self, Prune.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate a signing key (active if none is, else published as next).")
        @OptionGroup var options: ConfigurationOption
        @Option(help: ArgumentHelp("ES256 or PS256 (default: keys.algorithm, else ES256).", valueName: "alg"))
        var alg: String?
        @Flag(help: "Make the new key active at once, retiring the current one (skips pre-publication).")
        var activate = false

        func run() throws {
            let (configuration, manager) = try KeysCommand.manager(options)
            let algorithm = try KeysCommand.algorithm(alg ?? configuration.keys.defaultAlgorithm)
            let record = try KeysCommand.perform { try manager.generate(algorithm: algorithm, now: Date(), activate: activate) }
            print("generated \(record.algorithm) key \(record.kid) (\(record.state.rawValue))")
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate the oldest next key (or a new one) and retire the active key.")
        @OptionGroup var options: ConfigurationOption
        @Option(help: ArgumentHelp("Algorithm of the key generated when no next key exists.", valueName: "alg"))
        var alg: String?

        func run() throws {
            let (configuration, manager) = try KeysCommand.manager(options)
            let algorithm = try KeysCommand.algorithm(alg ?? configuration.keys.defaultAlgorithm)
            let rotation = try KeysCommand.perform { try manager.rotate(algorithm: algorithm, now: Date()) }
            print("active key is now \(rotation.active.kid) (\(rotation.active.algorithm))")
            if let retired = rotation.retiredKID {
                print("retired \(retired); published until \(Date().addingTimeInterval(manager.retiredKeyPublication))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every stored key (no private material is ever printed).")
        @OptionGroup var options: ConfigurationOption

        func run() throws {
            let (_, manager) = try KeysCommand.manager(options)
            let keys = try KeysCommand.perform { try manager.list() }
            if keys.isEmpty {
                print("no signing keys; run `credence keys generate`")
                return
            }
            let formatter = ISO8601DateFormatter()
            print("KID                                          ALG    STATE    CREATED               PUBLISHED UNTIL")
            for key in keys {
                let until = key.publishUntil.map(formatter.string) ?? "-"
                print("\(key.kid.padding(toLength: 44, withPad: " ", startingAt: 0)) \(key.algorithm.padding(toLength: 6, withPad: " ", startingAt: 0)) \(key.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(formatter.string(from: key.createdAt))  \(until)")
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete retired keys whose tokens have all expired.")
        @OptionGroup var options: ConfigurationOption

        func run() throws {
            let (_, manager) = try KeysCommand.manager(options)
            let removed = try KeysCommand.perform { try manager.prune(now: Date()) }
            print("removed \(removed) expired key(s)")
        }
    }

    static func manager(_ options: ConfigurationOption) throws -> (CredenceConfiguration, SigningKeyManager) {
        let configuration = try options.load()
        guard let keyBytes = configuration.keys.encryptionKey?.revealed else {
            printError("no key-encryption key configured")
            throw ExitCode(78)
        }
        let encryptionKey = try KeyEncryptionKey(bytes: keyBytes)
        let connection = try configuration.connectForCommand()
        let lifetime = TimeInterval(configuration.tokens.accessTokenLifetimeSeconds + configuration.clockSkewSeconds)
        return (
            configuration,
            SigningKeyManager(store: PostgresSigningKeyStore(connection: connection), encryptionKey: encryptionKey, retiredKeyPublication: lifetime)
        )
    }

    static func algorithm(_ name: String) throws -> JWSAlgorithm {
        guard let algorithm = JWSAlgorithm(rawValue: name), SigningKeyManager.supportedAlgorithms.contains(algorithm) else {
            printError("unsupported algorithm \(name); use ES256 or PS256")
            throw ExitCode(64)
        }
        return algorithm
    }

    static func perform<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            printError("database: \(error.description)")
            throw ExitCode(error.code == .unavailable ? 69 : 1)
        }
    }
}
