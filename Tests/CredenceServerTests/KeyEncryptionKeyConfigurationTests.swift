import CredenceServer
import Foundation
import OpenSSLCrypto
import Testing

/// Key-encryption key hygiene (issue 6, item 6): the key file's permissions, its form, the
/// environment variable, and the reasons a file cannot be read.
@Suite struct KeyEncryptionKeyConfigurationTests {
    static let base64Key = Array(Data(repeating: 7, count: 32).base64EncodedString().utf8) + [10]

    func problems(
        keyFile: ConfigurationFileContents?,
        extra: String = "",
        environment: [String: String] = [:]
    ) -> [ConfigurationProblem] {
        let text = """
            issuer: https://as.bank.example
            database:
              url: host=/run/postgresql dbname=credence
            keys:
              encryption_key_file: /etc/credence/kek
            \(extra)
            """
        do {
            _ = try CredenceConfiguration.parse(
                yaml: text,
                environment: environment,
                files: { path in
                    guard path == "/etc/credence/kek", let keyFile else {
                        return .failure(ConfigurationFileError(reason: "No such file or directory"))
                    }
                    return .success(keyFile)
                }
            )
            return []
        } catch {
            return error.problems
        }
    }

    @Test(arguments: [0o600, 0o400, 0o640, 0o660, 0o440] as [UInt16])
    func keyFileClosedToOthersIsAccepted(mode: UInt16) {
        #expect(problems(keyFile: ConfigurationFileContents(bytes: Self.base64Key, permissions: mode)).isEmpty)
    }

    @Test(arguments: [0o644, 0o604, 0o602, 0o601, 0o666, 0o777] as [UInt16])
    func keyFileOpenToOthersIsRefused(mode: UInt16) {
        let found = problems(keyFile: ConfigurationFileContents(bytes: Self.base64Key, permissions: mode))
        #expect(found.map(\.key) == ["keys.encryption_key_file"])
    }

    @Test(arguments: [
        Array("0123456789abcdef0123456789abcdef".utf8),  // 16 bytes in hex: text, not raw bytes
        Array("correct horse battery staple!!!!".utf8),
        Array("\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t".utf8),
        Array(String(repeating: "ab", count: 32).utf8),  // 32 bytes in hex
        Array("c2hvcnQ=".utf8),
    ])
    func textThatIsNotBase64OfAKeyIsRefused(material: [UInt8]) {
        let found = problems(keyFile: ConfigurationFileContents(bytes: material, permissions: 0o640))
        #expect(found.map(\.key) == ["keys.encryption_key_file"])
    }

    @Test func rawAndBase64FormsAreNamed() throws {
        let raw: [UInt8] = (0..<32).map { UInt8(255 - $0) }
        for (material, encoding) in [(raw, KeyEncryptionKeyEncoding.raw), (Self.base64Key, .base64)] {
            let configuration = try CredenceConfiguration.parse(
                yaml: "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /k}",
                environment: [:],
                files: { _ in .success(ConfigurationFileContents(bytes: material, permissions: 0o600)) }
            )
            #expect(configuration.keys.encryptionKeyEncoding == encoding)
            #expect(configuration.keys.encryptionKeySource.contains(encoding == .raw ? "raw" : "base64"))
        }
    }

    @Test func theEnvironmentVariableTakesOnlyAKey() {
        let found = problems(
            keyFile: nil,
            environment: ["CREDENCE_KEY_ENCRYPTION_KEY": "0123456789abcdef0123456789abcdef"]
        )
        #expect(found.map(\.key) == ["keys.encryption_key_file"])
    }

    @Test func anUnreadableKeyFileSaysWhy() {
        let found = problems(keyFile: nil)
        #expect(found.map(\.key) == ["keys.encryption_key_file"])
        #expect(found.first?.message.hasSuffix(": No such file or directory") == true)
    }

    @Test func sslmodeRequireReasonIsRead() throws {
        let configuration = try CredenceConfiguration.parse(
            yaml: """
                issuer: https://a.example
                database: {url: "host=db.internal sslmode=require", sslmode_require_reason: "private VLAN"}
                keys: {encryption_key_file: /k}
                """,
            environment: [:],
            files: { _ in .success(ConfigurationFileContents(bytes: Self.base64Key, permissions: 0o600)) }
        )
        #expect(configuration.database.sslmodeRequireReason == "private VLAN")
        let blank = #expect(throws: ConfigurationError.self) {
            try CredenceConfiguration.parse(
                yaml: """
                    issuer: https://a.example
                    database: {url: "host=db.internal sslmode=require", sslmode_require_reason: "  "}
                    keys: {encryption_key_file: /k}
                    """,
                environment: [:],
                files: { _ in .success(ConfigurationFileContents(bytes: Self.base64Key, permissions: 0o600)) }
            )
        }
        #expect(blank?.problems.map(\.key) == ["database.sslmode_require_reason"])
    }
}

/// The real file system and process environment: `load(path:)` as `credence` runs it.
@Suite(.serialized) struct ConfigurationFileSystemTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("credence-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8], mode: Int) throws -> String {
        let path = directory.appendingPathComponent(name).path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func configuration(keyFile: String?) throws -> String {
        let keys = keyFile.map { "keys:\n  encryption_key_file: \($0)\n" } ?? ""
        return try write(
            "credence.yaml",
            Array("issuer: https://as.bank.example\ndatabase:\n  url: dbname=credence\n\(keys)".utf8),
            mode: 0o600
        )
    }

    @Test func readReportsTheSystemsReason() throws {
        let missing = directory.appendingPathComponent("missing").path
        guard case .failure(let error) = ConfigurationFiles.read(missing) else {
            Issue.record("a missing file was read")
            return
        }
        #expect(error.reason == String(cString: strerror(ENOENT)))
        guard case .failure = ConfigurationFiles.read(directory.path) else {
            Issue.record("a directory was read as a file")
            return
        }
        let path = try write("kek", [1, 2, 3], mode: 0o640)
        let contents = try ConfigurationFiles.read(path).get()
        #expect(contents.bytes == [1, 2, 3])
        #expect(contents.permissions == 0o640)
    }

    @Test func aMissingConfigurationFileSaysWhy() {
        let path = directory.appendingPathComponent("nope.yaml").path
        let error = #expect(throws: ConfigurationError.self) {
            try CredenceConfiguration.load(path: path, environment: [:])
        }
        #expect(error?.problems.first?.message.hasSuffix(String(cString: strerror(ENOENT))) == true)
    }

    @Test func keyFileModesOnDisk() throws {
        let material = Array(Data(repeating: 3, count: 32).base64EncodedString().utf8)
        let open = try write("kek-open", material, mode: 0o644)
        let error = #expect(throws: ConfigurationError.self) {
            try CredenceConfiguration.load(path: configuration(keyFile: open), environment: [:])
        }
        #expect(error?.problems.map(\.key) == ["keys.encryption_key_file"])

        let closed = try write("kek-closed", material, mode: 0o640)
        let loaded = try CredenceConfiguration.load(path: configuration(keyFile: closed), environment: [:])
        #expect(isKey(loaded.keys.encryptionKey, [UInt8](repeating: 3, count: 32)))
    }

    @Test func theKeyVariableIsClearedFromTheProcessEnvironment() throws {
        let name = CredenceConfiguration.keyEncryptionKeyVariable
        setenv(name, Data(repeating: 4, count: 32).base64EncodedString(), 1)
        defer { unsetenv(name) }
        let loaded = try CredenceConfiguration.load(path: configuration(keyFile: nil))
        #expect(isKey(loaded.keys.encryptionKey, [UInt8](repeating: 4, count: 32)))
        #expect(getenv(name) == nil)
        #expect(ProcessInfo.processInfo.environment[name] == nil)

        // Cleared even when the configuration is refused.
        setenv(name, "not a key", 1)
        #expect(throws: ConfigurationError.self) { try CredenceConfiguration.load(path: configuration(keyFile: nil)) }
        #expect(getenv(name) == nil)
    }
}
