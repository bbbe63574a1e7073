import CredenceCore
import Foundation
import OpenSSLCrypto
import Testing

/// Registered subject DNs parsed and prepared once per distinct string.
@Suite struct RegisteredSubjectDNCacheTests {
    @Test func aRegisteredDNIsPreparedOnceAndMatchesAsParsed() throws {
        let cache = RegisteredSubjectDNCache(capacity: 8)
        let text = try TestPKI.leafClientSubjectDN()
        let first = try #require(cache.prepared(text))
        let second = try #require(cache.prepared(text))
        #expect(cache.count == 1)
        #expect(first == second)
        #expect(first == PreparedDistinguishedName(try DistinguishedName(rfc4514: text)))
        #expect(first.matches(try TestPKI.certificate("leaf-client").preparedSubject))
    }

    @Test func eachStringIsItsOwnEntry() throws {
        let cache = RegisteredSubjectDNCache(capacity: 8)
        let a = try #require(cache.prepared("CN=Caf\u{00E9},O=Bar"))
        // Canonically equivalent to the first (Swift's == says equal), other bytes: its own entry.
        let b = try #require(cache.prepared("CN=Cafe\u{0301},O=Bar"))
        let c = try #require(cache.prepared("CN=Other,O=Bar"))
        #expect(cache.count == 3)
        #expect(a.matches(b))
        #expect(!a.matches(c))
    }

    @Test func aStringThatDoesNotParseIsNil() {
        let cache = RegisteredSubjectDNCache(capacity: 8)
        #expect(cache.prepared("this is not a DN") == nil)
        #expect(cache.prepared("this is not a DN") == nil)
        #expect(cache.count == 1)
    }

    @Test func theCacheIsBounded() {
        let cache = RegisteredSubjectDNCache(capacity: 3)
        for index in 0..<10 {
            let prepared = cache.prepared("CN=client \(index),O=Bar")
            #expect(prepared == PreparedDistinguishedName(try! DistinguishedName(rfc4514: "CN=client \(index),O=Bar")))
            #expect(cache.count == min(index + 1, 3))
        }
    }

    @Test func manyThreadsShareOneCache() throws {
        let cache = RegisteredSubjectDNCache(capacity: 4)
        let subject = try TestPKI.certificate("leaf-client").preparedSubject
        let registered = try TestPKI.leafClientSubjectDN()
        let variants = [registered, registered.lowercased(), "CN=someone else,O=Credence Test TPP,C=GB", "CN"]
        DispatchQueue.concurrentPerform(iterations: 48) { thread in
            for round in 0..<100 {
                let index = (thread + round) % (variants.count + 4)
                if index >= variants.count {
                    // Churn: more strings than room.
                    #expect(cache.prepared("CN=churn \(thread) \(round)") != nil)
                    continue
                }
                let prepared = cache.prepared(variants[index])
                switch index {
                case 0, 1: #expect(prepared?.matches(subject) == true)
                case 2: #expect(prepared?.matches(subject) == false)
                default: #expect(prepared == nil)
                }
                #expect(cache.count <= 4)
            }
        }
    }
}
