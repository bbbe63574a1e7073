// The credence command: placeholder until the CLI lands.
print("credence")
