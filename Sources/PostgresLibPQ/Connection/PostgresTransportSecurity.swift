internal import CLibPQ
import Foundation

/// What a libpq connection string (key=value conninfo or `postgresql://` URI, parsed by libpq's
/// own `PQconninfoParse`) says about how the connection is protected: whether it goes over a
/// unix socket, TCP to this machine, or TCP across a network, and the `sslmode` it asks for.
/// libpq's default `sslmode=prefer` lets a man in the middle downgrade the connection to clear
/// text, and `require` encrypts without checking whom it talks to, so a deployment over a
/// network wants `verify-full`; ``warning(requireReasonGiven:)`` says when it does not.
public struct PostgresTransportSecurity: Sendable, Hashable {
    /// How the connection reaches the server.
    public enum Transport: String, Sendable, Hashable {
        /// A unix-domain socket (a `host` that is a directory, or no host at all).
        case unixSocket = "unix socket"
        /// TCP to this machine (`localhost`, 127.0.0.0/8, `::1`): no network to intercept.
        case loopbackTCP = "TCP to this machine"
        /// TCP to another machine.
        case networkTCP = "TCP over the network"
    }

    /// The least protected of the transports the (possibly multi-host) string may use.
    public let transport: Transport
    /// The `sslmode` in force: the string's, else `PGSSLMODE`, else libpq's default `prefer`.
    public let sslmode: String
    /// The hosts named (`host`, else `hostaddr`), for messages; never the rest of the string.
    public let hosts: [String]

    /// Reads `conninfo`; `environment` supplies what libpq takes from `PGHOST`, `PGHOSTADDR`
    /// and `PGSSLMODE` when the string does not say (service files are not read). `nil` when
    /// libpq cannot parse the string (its message is not kept: it may quote a password).
    public init?(conninfo: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let options = Self.parse(conninfo) else { return nil }
        func value(_ keyword: String, _ variable: String) -> String? {
            if let given = options[keyword] { return given }
            if let fromEnvironment = environment[variable], !fromEnvironment.isEmpty { return fromEnvironment }
            return nil
        }
        let hostList = Self.split(value("host", "PGHOST"))
        let addressList = Self.split(value("hostaddr", "PGHOSTADDR"))
        sslmode = value("sslmode", "PGSSLMODE") ?? "prefer"

        // libpq pairs host and hostaddr lists entry by entry; a hostaddr means TCP to that address.
        let count = max(hostList.count, addressList.count, 1)
        var transports: [Transport] = []
        var named: [String] = []
        for index in 0..<count {
            let host = index < hostList.count ? hostList[index] : ""
            let address = index < addressList.count ? addressList[index] : ""
            if !address.isEmpty {
                transports.append(Self.isLoopback(address) ? .loopbackTCP : .networkTCP)
                named.append(host.isEmpty ? address : host)
            } else if host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") {
                transports.append(.unixSocket)
                if !host.isEmpty { named.append(host) }
            } else {
                transports.append(Self.isLoopback(host) ? .loopbackTCP : .networkTCP)
                named.append(host)
            }
        }
        if transports.contains(.networkTCP) {
            transport = .networkTCP
        } else if transports.contains(.loopbackTCP) {
            transport = .loopbackTCP
        } else {
            transport = .unixSocket
        }
        hosts = named
    }

    /// A warning for an operator, or `nil` when the connection is protected enough: a unix
    /// socket or loopback TCP, `sslmode=verify-full`, or `require` / `verify-ca` (which do not
    /// check the server's name) when the deployment states why (`requireReasonGiven`).
    public func warning(requireReasonGiven: Bool) -> String? {
        guard transport == .networkTCP else { return nil }
        let target = hosts.isEmpty ? "the database" : hosts.joined(separator: ",")
        switch sslmode {
        case "verify-full":
            return nil
        case "require", "verify-ca":
            if requireReasonGiven { return nil }
            return
                "database.url reaches \(target) over TCP with sslmode=\(sslmode), which does not check the server's name: a man in the middle with any certificate (any from that CA, for verify-ca) can read the connection; use sslmode=verify-full with sslrootcert, or state why this is acceptable in database.sslmode_require_reason"
        default:
            return
                "database.url reaches \(target) over TCP with sslmode=\(sslmode)\(sslmode == "prefer" ? " (libpq's default)" : ""): a man in the middle can downgrade the connection to clear text and read or change it; use sslmode=verify-full with sslrootcert"
        }
    }

    private static func split(_ list: String?) -> [String] {
        guard let list else { return [] }
        return list.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    private static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered.hasSuffix(".localhost") || lowered == "::1" || lowered == "[::1]" {
            return true
        }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The options `PQconninfoParse` found, keyword to value, for those with a value.
    private static func parse(_ conninfo: String) -> [String: String]? {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &message) else {
            if let message { PQfreemem(message) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let name = String(cString: keyword)
                // Only what the security check needs is kept: never the password.
                if ["host", "hostaddr", "sslmode"].contains(name) { values[name] = String(cString: value) }
            }
            option += 1
        }
        return values
    }
}
