// PostgresLibPQ: placeholder until the connection wrapper lands.
internal import CLibPQ

func _libraryVersionProbe() -> Int32 { PQlibVersion() }
