// OpenSSLCrypto: placeholder until the crypto wrapper lands.
internal import COpenSSL

func _libraryVersionProbe() -> UInt { OpenSSL_version_num() }
