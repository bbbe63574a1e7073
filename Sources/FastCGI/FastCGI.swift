// FastCGI: placeholder until the responder lands.
internal import CFastCGI

func _libraryVersionProbe() -> Int32 { FCGX_Init() }
