internal import COpenSSL

/// Builds an `EVP_PKEY` from named parameters with `EVP_PKEY_fromdata` (OpenSSL 3's way to make
/// a key from components).
struct KeyBuilder: ~Copyable {
    private let builder: OpaquePointer
    private var numbers: [OpaquePointer] = []
    private var buffers: [UnsafeMutableBufferPointer<UInt8>] = []

    private init(builder: OpaquePointer) {
        self.builder = builder
    }

    deinit {
        OSSL_PARAM_BLD_free(builder)
        for number in numbers { BN_free(number) }
        for buffer in buffers { buffer.deallocate() }
    }

    /// OSSL_PARAM_BLD keeps the name pointer (not a copy) until `to_param`, so names must be
    /// static strings: a bridged `String` pointer would dangle.
    private static func cName(_ name: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    mutating func pushBigNumber(_ name: StaticString, _ bytes: [UInt8]) throws(CryptoError) {
        let number = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        guard let number else { throw .invalidKey("could not read key component \(name)") }
        numbers.append(number)
        guard OSSL_PARAM_BLD_push_BN(builder, Self.cName(name), number) == 1 else {
            throw .invalidKey("could not set key component \(name)")
        }
    }

    mutating func pushString(_ name: StaticString, _ value: String) throws(CryptoError) {
        // OSSL_PARAM_BLD keeps the pointer until to_param: hold a copy alive until deinit.
        let utf8 = Array(value.utf8) + [0]
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: utf8.count)
        _ = buffer.initialize(from: utf8)
        buffers.append(buffer)
        let ok = buffer.baseAddress.map { base in
            base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                OSSL_PARAM_BLD_push_utf8_string(builder, Self.cName(name), $0, 0)
            }
        }
        guard ok == 1 else { throw .invalidKey("could not set key parameter \(name)") }
    }

    mutating func pushOctets(_ name: StaticString, _ bytes: [UInt8]) throws(CryptoError) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = buffer.initialize(from: bytes)
        buffers.append(buffer)
        guard OSSL_PARAM_BLD_push_octet_string(builder, Self.cName(name), buffer.baseAddress, bytes.count) == 1 else {
            throw .invalidKey("could not set key parameter \(name)")
        }
    }

    /// Builds a public key of `type` ("RSA", "EC") from the parameters `fill` pushes. The key is
    /// not validated here: ``PublicKey`` validates every key it is built from.
    static func publicKey(
        type: String,
        _ fill: (inout KeyBuilder) throws(CryptoError) -> Void
    ) throws(CryptoError) -> EVPKey {
        guard let raw = OSSL_PARAM_BLD_new() else { throw .internalFailure("out of memory") }
        var builder = KeyBuilder(builder: raw)
        try fill(&builder)
        guard let params = OSSL_PARAM_BLD_to_param(builder.builder) else {
            throw .invalidKey("could not assemble key parameters")
        }
        defer { OSSL_PARAM_free(params) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else {
            throw .internalFailure("no OpenSSL key management for \(type)")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_fromdata_init(context) == 1,
            EVP_PKEY_fromdata(context, &key, COpenSSL_EVP_PKEY_PUBLIC_KEY(), params) == 1,
            let key
        else { throw .invalidKey("OpenSSL refused the \(type) key components") }
        return EVPKey(taking: key)
    }
}
