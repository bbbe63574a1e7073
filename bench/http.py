#!/usr/bin/env python3
"""End-to-end HTTP benchmark: `credence serve` behind nginx (and Apache) next to a bare libfcgi responder.

    bench/http.py --credence .build/release/credence [--seconds 10] [--runs 3] [--apache] [options]

Prints figures; asserts nothing about speed. Starts the end-to-end harness's
stack (Tests/e2e/stack.py: demo PKI, throwaway PostgreSQL cluster, migrations,
an ES256 key, `credence serve`, nginx and Apache through scripts/nginx.sh and
scripts/apache.sh, on free ports), then, in the same run and on the same
machine, two baselines:

- BARE: bench/bare-responder.c (compiled here with cc -O2 -lfcgi -lpthread),
  --workers threads in an FCGX_Accept_r loop on one socket answering every
  path with a fixed small JSON document, behind a second nginx that
  scripts/nginx.sh renders from the shipped sample exactly as it renders
  Credence's (same options; only the socket and the ports differ). Every
  Credence row is printed as a ratio of the bare responder's rate on the same
  path shape (GET, or POST with a form body on the issuer host, or POST on the
  mTLS alias host with the client certificate);
- STATIC: a third nginx from the same rendered nginx.conf and the issuer
  host's TLS directives answering each URL itself (`return 200 '…'`) with the
  responder's own body and headers (with --apache also a second Apache
  serving the same bytes as static files). The operator samples are never
  changed.

Before any load, each URL is fetched once with curl (CA-verified TLS) and its
status, media type and JSON are checked; the static baseline must serve the
very same bytes. Then `wrk --latency` loads each URL for --seconds with
keep-alive HTTP/1.1 connections over TLS (--runs N: N runs of each row in
turns, the median printed): requests/s, latency p50/p99, non-2xx/3xx, socket
errors, timeouts, the ratio to the bare responder, and server CPU per request
(the web server's and the responder's CPU time from /proc ÷ requests; the
PostgreSQL cluster's separately). Then one run with more connections than
responder workers (default 2×) through each web server, checking that every
request was answered: wrk's error counts, the web server's access log, and
right after the run a probe of as many requests on fresh connections (the
libfcgi keep-alive trap of docs/web-servers.md, "Sizing", leaves requests
hanging: timeouts, requests still open when wrk stops, probe requests without
an answer).

Then POST /token (unless --no-token), with clients made by `credence clients
create`: client_secret_basic, private_key_jwt (a fresh assertion with its own
jti per request, signed beforehand with joserfc and sent in turn by a wrk Lua
script) and tls_client_auth with a certificate-bound token (wrk has no client
certificate option, so bench/wrk-client-cert.c is preloaded into it), first
with the stack's ES256 signing key, then after `credence keys rotate --force
--alg PS256` with a PS256 one. Each scenario is checked once first: 200, the
token verified by joserfc with the published JWKS and the expected algorithm,
cnf.x5t#S256 of the presented certificate. In each round of a phase, after
the rows: a pgbench primary-key SELECT of a client row (the responder's own
query, prepared, as many connections as workers) on the same cluster, and
`openssl speed -elapsed -multi <cores>` of the phase's primitive (ecdsap256,
rsa2048). Last, the goals of the token endpoint: ES256 tokens against
1/(1/fastcgi + 1/sign + 1/select), PS256 tokens against the RSA-2048 sign
rate, and the same composition in CPU time per request.

Then POST /register (unless --no-register; --only-register skips the GET,
overload and token rows): a registrar client made by `credence clients
create`, an initial access token from POST /token (a fresh one per run), and
for each request a fresh software statement of the demo directory the stack
trusts (the README's five-minute flow: PS256 by kid with the demo SSA signer's
key, a unique jti and software_id each, so neither the replay check nor the
one-client-per-software_id policy refuses it) with private_key_jwt metadata,
signed beforehand with joserfc and sent in turn by the same wrk Lua script.
One registration is checked first (201, its software_id, the statement
echoed, GET with its registration access token). Next to it, in the same
rounds and at the same concurrency: pgbench inserting a 1 KB JSONB document
into a scratch table of the same cluster (one autocommit INSERT each), and
the bare responder's POST of the same bodies; all of it first as the
harness's cluster runs (fsync, synchronous_commit and full_page_writes off),
then with durable commits (ALTER SYSTEM + reload). The goal: registrations
≥ 0.60 of the INSERTs.

Needs wrk, curl, openssl, cc, libfcgi-dev, libssl-dev, nginx (apache2 with
--apache), PostgreSQL with pgbench and psql, and Python joserfc for POST
/token and POST /register (bench/run.sh installs what is missing). Everything is stopped and deleted on
exit, also on Ctrl-C and SIGTERM. Exit status: 0 done, 1 a correctness check
failed, a request got no 2xx answer or a probe request hung, 2 the stack could
not start.
"""

import os
import sys

# This file is bench/http.py: its folder, first on sys.path when it runs as a
# script, would shadow the standard library's `http` package.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != HERE]

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import ssl  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "Tests", "e2e"))

from stack import SetupError, Stack, free_ports  # noqa: E402

# Paths under load (check_document says what each must answer).
ENDPOINTS = (
    "/.well-known/openid-configuration",
    "/jwks",
    "/healthz",
)
# The overload run: the endpoint that holds a responder thread longest (a
# database round trip per request).
OVERLOAD_PATH = "/healthz"
# Response headers the web server writes itself, not copied into the baseline.
HOP_HEADERS = {"date", "server", "connection", "content-length", "transfer-encoding",
               "keep-alive", "content-type", "etag", "last-modified", "accept-ranges"}


class BenchError(Exception):
    """A correctness check failed: the figures would be meaningless."""


# ---- small helpers ------------------------------------------------------

def loopback(url):
    """The same URL on 127.0.0.1 (the demo certificate names it), so that no
    client depends on how `localhost` resolves."""
    return url.replace("://localhost:", "://127.0.0.1:", 1)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, what, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    raise SetupError(f"{what} is not answering on 127.0.0.1:{port}")


def run(command, label, timeout=60):
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=timeout)
    if done.returncode != 0:
        raise SetupError(f"{label} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def write(path, text, binary=False):
    with open(path, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as out:
        out.write(text)


def uncommented(text):
    return [re.sub(r"\s+#.*$", "", line) for line in text.splitlines()
            if not line.lstrip().startswith("#")]


def nginx_block(text, opener):
    """The inner lines of the first block opened by a line matching OPENER (nginx braces)."""
    lines = uncommented(text)
    for index, line in enumerate(lines):
        if re.match(opener, line):
            depth = 0
            for end in range(index, len(lines)):
                depth += lines[end].count("{") - lines[end].count("}")
                if depth == 0:
                    return lines[index + 1:end]
            break
    raise SetupError(f"no block matching {opener!r} in the rendered sample")


def apache_section(text, name):
    """The inner lines of the first <NAME …> … </NAME> section."""
    lines = uncommented(text)
    for index, line in enumerate(lines):
        if re.match(rf"^<{name}[\s>]", line):
            for end in range(index + 1, len(lines)):
                if re.match(rf"^</{name}>", lines[end]):
                    return lines[index + 1:end]
            break
    raise SetupError(f"no <{name}> section in the rendered sample")


def nginx_string(value):
    """A single-quoted nginx string whose text is VALUE exactly ($ through a geo variable)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("$", "${bench_dollar}")
    return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'"


def apache_string(value):
    if any(c in value for c in "\r\n") or "%{" in value:
        raise SetupError(f"header value unusable in an Apache directive: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- curl: one verified request ------------------------------------------

class Fetched:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return values[-1] if values else None

    def media_type(self):
        return (self.header("content-type") or "").split(";")[0].strip().lower()


def fetch(url, ca_file, workdir):
    """GET URL once with curl, verifying the server certificate against CA_FILE."""
    fd, header_file = tempfile.mkstemp(dir=workdir)
    os.close(fd)
    fd, body_file = tempfile.mkstemp(dir=workdir)
    os.close(fd)
    try:
        done = subprocess.run(["curl", "--silent", "--show-error", "--http1.1", "--cacert", ca_file,
                               "--max-time", "15", "--dump-header", header_file, "--output",
                               body_file, "--write-out", "%{http_code}", url],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
        if done.returncode != 0:
            raise BenchError(f"curl {url}: exit {done.returncode}: {done.stderr.strip()}")
        with open(header_file, "rb") as handle:
            raw = handle.read().decode("latin-1")
        with open(body_file, "rb") as handle:
            body = handle.read()
    finally:
        os.unlink(header_file)
        os.unlink(body_file)
    headers = {}
    for line in raw.splitlines()[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Fetched(int(done.stdout.strip() or 0), headers, body)


def check_document(path, response, issuer):
    """What the responder must have answered at PATH; raises BenchError otherwise."""
    if response.status != 200:
        raise BenchError(f"GET {path}: HTTP {response.status}: {response.body[:300]!r}")
    if response.media_type() not in ("application/json", "application/jwk-set+json"):
        raise BenchError(f"GET {path}: Content-Type {response.header('content-type')!r}")
    try:
        document = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BenchError(f"GET {path}: not JSON ({error}): {response.body[:300]!r}") from None
    if not isinstance(document, dict):
        raise BenchError(f"GET {path}: not a JSON object")
    if path == "/.well-known/openid-configuration":
        if document.get("issuer") != issuer or document.get("jwks_uri") != issuer + "/jwks":
            raise BenchError(f"GET {path}: issuer/jwks_uri wrong: {document}")
    elif path == "/jwks":
        keys = document.get("keys")
        if not isinstance(keys, list) or not keys:
            raise BenchError(f"GET {path}: no keys: {document}")
        for key in keys:
            if not isinstance(key, dict) or "kid" not in key or "kty" not in key or "d" in key:
                raise BenchError(f"GET {path}: unusable or private key: {key}")
    elif path == "/healthz":
        if document.get("status") != "ok":
            raise BenchError(f"GET {path}: {document}")


def probe(url, ca_file, count, timeout=5.0):
    """COUNT fresh TLS connections at once, one GET each: the status of each,
    0 for no answer within TIMEOUT. Right after a load run the web server holds
    its idle FastCGI connections; if they held every responder thread (the
    keep-alive trap), requests on new upstream connections would hang here."""
    context = ssl.create_default_context(cafile=ca_file)
    parts = urllib.parse.urlsplit(url)
    statuses = [0] * count
    start = threading.Barrier(count)

    def one(index):
        connection = None
        try:
            start.wait(timeout)
            connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context,
                                                     timeout=timeout)
            connection.request("GET", parts.path)
            response = connection.getresponse()
            response.read()
            statuses[index] = response.status
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError):
            statuses[index] = 0
        finally:
            if connection is not None:
                connection.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(3 * timeout)
    return statuses


# ---- the baselines ------------------------------------------------------

def copied_headers(response):
    return [(name, value) for name, values in sorted(response.headers.items())
            if name not in HOP_HEADERS for value in values]


def start_nginx_baseline(stack, port, documents):
    """A second nginx: the stack's rendered nginx.conf (same workers, logging,
    keepalive_timeout) including a server block with the issuer host's ssl_*
    directives that answers each path with `return 200`. Returns (url, directives)."""
    source = os.path.join(stack.servers["nginx"].rundir)
    rundir = stack.path("nginx-baseline")
    os.makedirs(os.path.join(rundir, "logs"))
    os.makedirs(os.path.join(rundir, "tmp"))
    main = read(os.path.join(source, "nginx.conf"))
    main, count = re.subn(r"(?m)^(\s*)include\s+credence\.conf;", r"\1include baseline.conf;", main)
    if count != 1:
        raise SetupError(f"{source}/nginx.conf: expected one `include credence.conf;`, found {count}")
    server = nginx_block(read(os.path.join(source, "credence.conf")), r"^server\s*\{")
    tls = [line.strip() for line in server if re.match(r"^\s+ssl_\w+\s", line)]
    if not any(line.startswith("ssl_protocols") for line in tls):
        raise SetupError("no ssl_protocols in the rendered sample's issuer host")
    out = ["# bench/http.py: the static baseline; only this benchmark renders it.",
           'geo $bench_dollar { default "$"; }',
           "server {",
           f"    listen 127.0.0.1:{port} ssl;",
           "    server_name localhost;",
           "    server_tokens off;"]
    out += [f"    {line}" for line in tls]
    for path, response in documents.items():
        out.append(f"    location = {path} {{")
        out.append(f"        default_type {nginx_string(response.header('content-type'))};")
        for name, value in copied_headers(response):
            out.append(f"        add_header {name} {nginx_string(value)};")
        out.append(f"        return 200 {nginx_string(response.body.decode('utf-8'))};")
        out.append("    }")
    out += ["    location / { return 404; }", "}", ""]
    write(os.path.join(rundir, "nginx.conf"), main)
    write(os.path.join(rundir, "baseline.conf"), "\n".join(out))
    arguments = ["-p", rundir + "/", "-c", os.path.join(rundir, "nginx.conf")]
    if os.geteuid() == 0:
        arguments += ["-g", "user www-data;"]
    run(["nginx", "-t", "-q"] + arguments, "nginx -t (baseline)")
    stack.started_servers.append(("nginx-baseline", os.path.join(REPO, "scripts", "nginx.sh"), rundir))
    run(["nginx"] + arguments, "nginx (baseline)")
    wait_port(port, "the nginx baseline")
    return f"https://127.0.0.1:{port}", tls


def start_apache_baseline(stack, port, documents):
    """A second Apache: the stack's rendered httpd.conf (same MPM, logging,
    keep-alive) with one virtual host carrying the issuer host's SSL*
    directives, serving the documents as static files (core handler) with the
    responder's headers. Returns (url, directives)."""
    source = stack.servers["apache"].rundir
    rundir = stack.path("apache-baseline")
    for folder in ("logs", "run", "htdocs"):
        os.makedirs(os.path.join(rundir, folder))
    main = read(os.path.join(source, "httpd.conf"))
    main, listens = re.subn(r"(?m)^Listen[ \t]+\S+[ \t]+https[ \t]*$", "", main)
    main, includes = re.subn(r"(?m)^Include[ \t]+credence\.conf[ \t]*$",
                             f"Listen 127.0.0.1:{port} https\nInclude baseline.conf", main)
    if listens != 2 or includes != 1:
        raise SetupError(f"{source}/httpd.conf: expected 2 Listen and 1 Include credence.conf, "
                         f"found {listens} and {includes}")
    vhost = apache_section(read(os.path.join(source, "credence.conf")), "VirtualHost")
    tls = [line.strip() for line in vhost if re.match(r"^\s+SSL\w+\s", line)
           and not line.strip().startswith("SSLOptions")]
    out = ["# bench/http.py: the static baseline; only this benchmark renders it.",
           f"<VirtualHost 127.0.0.1:{port}>",
           f"    ServerName localhost:{port}",
           "    UseCanonicalName On",
           "    ServerSignature Off",
           "    FileETag None"]
    out += [f"    {line}" for line in tls]
    for path, response in documents.items():
        target = os.path.join(rundir, "htdocs", path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write(target, response.body, binary=True)
        out.append(f'    <Location "{path}">')
        out.append(f"        Header always set Content-Type {apache_string(response.header('content-type'))}")
        for name, value in copied_headers(response):
            out.append(f"        Header always set {name} {apache_string(value)}")
        out.append("    </Location>")
    out += ["</VirtualHost>", ""]
    write(os.path.join(rundir, "httpd.conf"), main)
    write(os.path.join(rundir, "baseline.conf"), "\n".join(out))
    arguments = ["-d", rundir, "-f", os.path.join(rundir, "httpd.conf")]
    if os.geteuid() == 0:
        arguments += ["-D", "CREDENCE_AS_ROOT"]
    run(["apache2", "-t"] + arguments, "apache2 -t (baseline)")
    stack.started_servers.append(("apache-baseline", os.path.join(REPO, "scripts", "apache.sh"), rundir))
    run(["apache2"] + arguments + ["-k", "start"], "apache2 (baseline)")
    wait_port(port, "the Apache baseline")
    return f"https://127.0.0.1:{port}", tls


class Bare:
    """The bare C libfcgi responder (bench/bare-responder.c) behind its own
    instance of the shipped nginx sample, rendered by scripts/nginx.sh exactly
    as the stack renders Credence's (same options, only the socket and ports
    differ)."""

    def __init__(self, main_url, mtls_url, rundir, process):
        self.main_url, self.mtls_url, self.rundir, self.process = main_url, mtls_url, rundir, process

    @property
    def access_log(self):
        return os.path.join(self.rundir, "logs", "access.log")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def compile_c(source, output, flags):
    """cc -O2 SOURCE into OUTPUT (a temp dir): the C helpers are never installed."""
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise SetupError(f"no C compiler ({cc}) for {os.path.basename(source)}")
    run([cc, "-O2", "-Wall", "-o", output, source] + flags, f"compiling {os.path.basename(source)}")
    return output


def start_bare(stack, threads):
    """Compiles and starts the bare responder on its own unix socket, then a
    second scripts/nginx.sh instance in front of it with the options the stack
    gives Credence's, except the keepalive pool: a thread-per-connection
    responder needs its idle connections at most half of its threads."""
    folder = stack.path("bare")
    os.makedirs(folder)
    binary = compile_c(os.path.join(HERE, "bare-responder.c"), os.path.join(folder, "bare-responder"),
                       ["-lfcgi", "-lpthread"])
    socket_path = stack.path("run", "bare.sock")
    log = open(os.path.join(folder, "bare-responder.log"), "ab")
    process = subprocess.Popen([binary, socket_path, str(threads)], stdin=subprocess.DEVNULL,
                               stdout=log, stderr=log, start_new_session=True)
    log.close()
    bare = Bare(None, None, stack.path("nginx-bare"), process)
    stack.bare = bare  # main() stops it, whatever happens next
    deadline = time.monotonic() + 10
    while not os.path.exists(socket_path):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SetupError(f"bare-responder did not open {socket_path} "
                             f"(exit {process.poll()}): {read(os.path.join(folder, 'bare-responder.log'))}")
        time.sleep(0.05)
    port, mtls_port = free_ports(2)
    script = os.path.join(REPO, "scripts", "nginx.sh")
    stack.started_servers.append(("nginx-bare", script, bare.rundir))
    run(["bash", script, "start", bare.rundir, "--tls-dir", stack.pki, "--socket", socket_path,
         "--port", str(port), "--mtls-port", str(mtls_port),
         # Thread per connection: its idle kept connections must stay at most half of its
         # threads (2 nginx worker processes), or requests hang.
         "--keepalive", str(max(1, stack.responder_workers // 4))], "nginx.sh start (bare responder)")
    bare.main_url = f"https://127.0.0.1:{port}"
    bare.mtls_url = f"https://127.0.0.1:{mtls_port}"
    return bare


# ---- server CPU from /proc ------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    """User + system CPU seconds of PID, all its threads, plus those of its
    children that exited and were waited for (PostgreSQL's backends of
    pgbench's connections end before the run is read); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return sum(int(field) for field in fields[11:15]) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def children_of(parent):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def pid_from_file(path):
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.readline().strip())
    except (OSError, ValueError):
        return None


def server_pids(pidfile):
    """A web server's (or PostgreSQL's) main process and its children."""
    master = pid_from_file(pidfile)
    return [] if master is None else [master] + children_of(master)


class Meter:
    """CPU time of the processes that serve one row, read from /proc before
    and after the run: `server` is the web server's processes plus the
    responder behind it; `pg` is the whole PostgreSQL cluster (the load
    generator's own CPU is in neither)."""

    def __init__(self, server, pg):
        self.server, self.pg = server, pg  # callables returning pids

    @staticmethod
    def sample(pids):
        return {pid: process_cpu(pid) for pid in pids}

    def snapshot(self):
        return {"server": self.sample(self.server()), "pg": self.sample(self.pg())}

    @staticmethod
    def spent(before, after):
        # A process that appeared during the run counts whole; one that went
        # away is lost (none of the measured processes exits under load).
        return sum(after[pid] - before.get(pid, 0.0) for pid in after)

    def per_request(self, before, after, requests):
        if requests <= 0:
            return None, None
        return tuple(self.spent(before[group], after[group]) / requests * 1e6
                     for group in ("server", "pg"))


# ---- wrk ------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def milliseconds(number, unit):
    return float(number) * UNITS[unit]


def parse_wrk(text):
    """The figures of one `wrk --latency` run (wrk 4.x output)."""
    def number(pattern, default=None):
        match = re.search(pattern, text, re.M)
        return match.groups() if match else default

    rate = number(r"^Requests/sec:\s+([\d.]+)")
    total = number(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)")
    if rate is None or total is None:
        raise BenchError(f"unexpected wrk output:\n{text}")
    percentiles = {}
    for percent in ("50", "99"):
        value = number(rf"^\s+{percent}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$")
        percentiles[percent] = milliseconds(*value) if value else None
    maximum = number(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\s")
    errors = number(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                    ("0", "0", "0", "0"))
    non2xx = number(r"Non-2xx or 3xx responses: (\d+)", ("0",))
    return {
        "rate": float(rate[0]),
        "requests": int(total[0]),
        "duration_ms": milliseconds(total[1], total[2]),
        "p50": percentiles["50"],
        "p99": percentiles["99"],
        "max": milliseconds(*maximum) if maximum else None,
        "connect": int(errors[0]), "read": int(errors[1]), "write": int(errors[2]),
        "timeouts": int(errors[3]),
        "non2xx": int(non2xx[0]),
    }


def access_statuses(log, offset):
    """Status counts of the access-log lines written after OFFSET (combined format)."""
    counts = {}
    try:
        with open(log, "rb") as handle:
            handle.seek(offset)
            for line in handle:
                match = re.search(rb'" (\d{3}) ', line)
                key = match.group(1).decode() if match else "?"
                counts[key] = counts.get(key, 0) + 1
    except OSError:
        pass
    return counts


def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class Load:
    def __init__(self, arguments):
        self.threads = arguments.threads
        self.seconds = arguments.seconds
        self.timeout = arguments.timeout
        self.last = None  # the figures of the latest run

    def command(self, url, connections, seconds=None, script=None, script_args=()):
        command = ["wrk", f"-t{self.threads}", f"-c{connections}", f"-d{seconds or self.seconds}s",
                   f"--timeout", f"{self.timeout}s", "--latency"]
        if script:
            command += ["-s", script]
        command.append(url)
        if script_args:
            command += ["--"] + [str(argument) for argument in script_args]
        return command

    def run(self, url, connections, log, seconds=None, script=None, script_args=(), env=None,
            meter=None):
        """One wrk run. SCRIPT: a wrk Lua script (POST /token); ENV: extra
        environment (the client-certificate shim); METER: CPU accounting."""
        offset = size(log)
        command = self.command(url, connections, seconds, script, script_args)
        before = meter.snapshot() if meter else None
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=(seconds or self.seconds) + self.timeout + 60,
                              env=dict(os.environ, **env) if env else None)
        after = meter.snapshot() if meter else None
        if done.returncode != 0:
            raise BenchError(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        figures = parse_wrk(done.stdout)
        figures["cpu"], figures["pg_cpu"] = (meter.per_request(before, after, figures["requests"])
                                             if meter else (None, None))
        # What a Lua script printed in done(): `bench-NAME VALUE` lines.
        figures["script"] = {name: int(value) for name, value
                             in re.findall(r"^bench-([\w-]+) (\d+)$", done.stdout, re.M)}
        time.sleep(0.3)  # the last responses' log lines
        figures["logged"] = access_statuses(log, offset)
        figures["raw"] = done.stdout
        figures["url"] = url
        self.last = figures
        return figures


# ---- POST /token ------------------------------------------------------------

TOKEN_SCOPE = "accounts"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# A fixed request: wrk sends the same bytes on every request.
FIXED_POST_LUA = """-- bench/http.py: POST {path} with a fixed form body.
wrk.method = "POST"
wrk.path = "{path}"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
{headers}"""

# private_key_jwt (and POST /register): one pre-generated body per request,
# never one twice (the responder refuses a used jti). Thread k of n sends lines
# k, k+n, k+2n… of the file; when a thread runs out it starts again from its
# first line (those requests then get 401 or 400, and done() reports how
# many). Arguments: threads, file, then optionally the path, the Content-Type
# and an Authorization header value.
ASSERTION_LUA = """-- bench/http.py: POST, each request with its own pre-generated body.
local threads = {}
local created = 0
function setup(thread)
    thread:set("thread_index", created)
    created = created + 1
    table.insert(threads, thread)
end
function init(args)
    local count, file = tonumber(args[1]), args[2]
    bodies = {}
    local line_number = 0
    for line in io.lines(file) do
        if line_number % count == thread_index then bodies[#bodies + 1] = line end
        line_number = line_number + 1
    end
    sent = 0
    reused = 0
    wrk.method = "POST"
    wrk.path = args[3] or "/token"
    wrk.headers["Content-Type"] = args[4] or "application/x-www-form-urlencoded"
    if args[5] then wrk.headers["Authorization"] = args[5] end
end
function request()
    sent = sent + 1
    if sent > #bodies then reused = reused + 1 end
    return wrk.format(nil, nil, nil, bodies[(sent - 1) % #bodies + 1])
end
function done(summary, latency, requests)
    local total_sent, total_reused = 0, 0
    for _, thread in ipairs(threads) do
        total_sent = total_sent + thread:get("sent")
        total_reused = total_reused + thread:get("reused")
    end
    print("bench-bodies-sent " .. total_sent)
    print("bench-bodies-reused " .. total_reused)
end
"""


def lua_string(value):
    return value.replace("\\", "\\\\").replace('"', '\\"')


def default_signals():
    """In the signing processes: main()'s SIGTERM handler would turn the pool's
    own shutdown into tracebacks."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def sign_assertions(job):
    """COUNT client assertions (RFC 7523 §3), each with its own jti; runs in a
    worker process (joserfc, the JOSE implementation the tests use)."""
    private_jwk, algorithm, client_id, audience, lifetime, count = job
    import secrets
    from joserfc import jwt
    from joserfc.jwk import import_key
    key = import_key(private_jwk)
    header = {"alg": algorithm, "kid": private_jwk["kid"]}
    now = int(time.time())
    prefix = (f"grant_type=client_credentials&scope={TOKEN_SCOPE}"
              f"&client_assertion_type={urllib.parse.quote(ASSERTION_TYPE, safe='')}&client_assertion=")
    return [prefix + jwt.encode(header, {"iss": client_id, "sub": client_id, "aud": audience,
                                         "iat": now, "exp": now + lifetime,
                                         "jti": secrets.token_urlsafe(18)}, key)
            for _ in range(count)]


class TokenBench:
    """POST /token through the stack's nginx for client_secret_basic,
    private_key_jwt and tls_client_auth with a certificate-bound token,
    with clients made by the real CLI (`credence clients create`)."""

    SCENARIOS = ("client_secret_basic", "private_key_jwt", "tls_client_auth")

    def __init__(self, stack, bare, arguments):
        try:
            import joserfc  # noqa: F401
        except ImportError:
            raise SetupError("POST /token needs Python joserfc (pip install joserfc; "
                             "or --no-token)") from None
        self.stack, self.bare, self.arguments = stack, bare, arguments
        self.folder = stack.path("token-bench")
        os.makedirs(self.folder)
        self.ca_file = os.path.join(stack.pki, "server-ca.pem")
        self.certificate = (os.path.join(stack.pki, "tpp.pem"), os.path.join(stack.pki, "tpp.key"))
        self.nginx = stack.servers["nginx"]
        self.assertion_files = 0

    # ---- setup -------------------------------------------------------

    def create(self, *options):
        output = self.stack.run_credence(["clients", "create", "--config", self.stack.config_file,
                                          "--scope", TOKEN_SCOPE] + list(options),
                                         "credence clients create")
        return json.loads(output.strip().splitlines()[-1])

    def create_clients(self):
        from joserfc.jwk import ECKey, RSAKey
        basic = self.create("--auth-method", "client_secret_basic", "--name", "bench basic")
        credentials = (urllib.parse.quote(basic["client_id"], safe="") + ":"
                       + urllib.parse.quote(basic["client_secret"], safe=""))  # RFC 6749 §2.3.1
        import base64
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.basic_id = basic["client_id"]

        algorithm = self.arguments.assertion_alg
        parameters = {"kid": "bench-assertion-key", "use": "sig", "alg": algorithm}
        key = (ECKey.generate_key("P-256", parameters=parameters, private=True) if algorithm == "ES256"
               else RSAKey.generate_key(2048, parameters=parameters, private=True))
        self.assertion_key = key.as_dict(private=True)
        jwks_file = os.path.join(self.folder, "assertion-jwks.json")
        write(jwks_file, json.dumps({"keys": [key.as_dict(private=False)]}))
        jwt_client = self.create("--auth-method", "private_key_jwt", "--jwks-file", jwks_file,
                                 "--name", "bench private_key_jwt")
        self.jwt_id = jwt_client["client_id"]

        subject = read(os.path.join(self.stack.pki, "tpp.subject")).strip()
        tls = self.create("--auth-method", "tls_client_auth", "--subject-dn", subject, "--bound-tokens",
                          "--name", "bench tls_client_auth")
        self.tls_id = tls["client_id"]
        from client import certificate_thumbprint
        self.thumbprint = certificate_thumbprint(self.certificate[0])

        self.basic_body = f"grant_type=client_credentials&scope={TOKEN_SCOPE}"
        self.tls_body = (f"grant_type=client_credentials&scope={TOKEN_SCOPE}"
                         f"&client_id={urllib.parse.quote(self.tls_id, safe='')}")
        self.scripts = {
            "basic": self.script("basic.lua", FIXED_POST_LUA.format(
                path="/token", body=lua_string(self.basic_body),
                headers=f'wrk.headers["Authorization"] = "{lua_string(self.authorization)}"\n')),
            "tls": self.script("tls.lua", FIXED_POST_LUA.format(
                path="/token", body=lua_string(self.tls_body), headers="")),
            "assertions": self.script("assertions.lua", ASSERTION_LUA),
        }
        self.shim = compile_c(os.path.join(HERE, "wrk-client-cert.c"),
                              os.path.join(self.folder, "wrk-client-cert.so"),
                              ["-shared", "-fPIC", "-ldl"])
        self.certificate_env = {"LD_PRELOAD": self.shim, "BENCH_CLIENT_CERT": self.certificate[0],
                                "BENCH_CLIENT_KEY": self.certificate[1]}

    def script(self, name, text):
        path = os.path.join(self.folder, name)
        write(path, text)
        return path

    def assertions(self, count):
        """A file of COUNT fresh form bodies for private_key_jwt, signed in parallel."""
        import multiprocessing
        processes = max(os.cpu_count() or 1, 1)
        chunk = -(-count // processes)
        job = (self.assertion_key, self.arguments.assertion_alg, self.jwt_id, self.stack.issuer, 300)
        with multiprocessing.get_context("fork").Pool(processes, initializer=default_signals) as pool:
            chunks = pool.map(sign_assertions, [job + (chunk,)] * processes)
        self.assertion_files += 1
        path = os.path.join(self.folder, f"assertions-{self.assertion_files}.txt")
        write(path, "".join(body + "\n" for part in chunks for body in part))
        return path, chunk * processes

    # ---- one checked request per scenario ----------------------------

    def request(self, scenario, body=None):
        base = loopback(self.nginx.mtls_url if scenario == "tls_client_auth" else self.nginx.main_url)
        headers = ["Content-Type: application/x-www-form-urlencoded"]
        cert = None
        if scenario == "client_secret_basic":
            headers.append(f"Authorization: {self.authorization}")
            body = self.basic_body
        elif scenario == "tls_client_auth":
            body, cert = self.tls_body, self.certificate
        return self.stack.curl.request(base + "/token", method="POST", headers=headers,
                                       body=body.encode(), cert=cert)

    def check(self, scenario, algorithm):
        """One request of SCENARIO answered as PROTOCOL.md says, its token
        verified by joserfc with the published JWKS and signed with ALGORITHM.
        Returns the token's kid."""
        from joserfc import jws
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet
        body = None
        if scenario == "private_key_jwt":
            body = sign_assertions((self.assertion_key, self.arguments.assertion_alg, self.jwt_id,
                                    self.stack.issuer, 300, 1))[0]
        response = self.request(scenario, body)
        what = f"POST /token ({scenario})"
        if response.status != 200:
            raise BenchError(f"{what}: HTTP {response.status}: {response.body[:300]!r}")
        answer = json.loads(response.body)
        if (answer.get("token_type") != "Bearer" or answer.get("scope") != TOKEN_SCOPE
                or not isinstance(answer.get("expires_in"), int)):
            raise BenchError(f"{what}: unexpected answer {answer}")
        if (response.header("cache-control") or "").lower() != "no-store":
            raise BenchError(f"{what}: Cache-Control {response.header('cache-control')!r}")
        jwks = fetch(loopback(self.nginx.main_url) + "/jwks", self.ca_file, self.stack.path("curl"))
        try:
            token = jws.deserialize_compact(answer["access_token"],
                                            KeySet.import_key_set(json.loads(jwks.body)),
                                            algorithms=[algorithm])
        except (JoseError, ValueError) as error:
            raise BenchError(f"{what}: the access token does not verify as {algorithm} with the "
                             f"published JWKS: {error!r}") from None
        header, claims = token.headers(), json.loads(token.payload)
        expected = {"client_secret_basic": self.basic_id, "private_key_jwt": self.jwt_id,
                    "tls_client_auth": self.tls_id}[scenario]
        if header.get("typ") != "at+jwt" or claims.get("client_id") != expected \
                or claims.get("iss") != self.stack.issuer:
            raise BenchError(f"{what}: unexpected token {header} {claims}")
        bound = (claims.get("cnf") or {}).get("x5t#S256")
        if scenario == "tls_client_auth" and bound != self.thumbprint:
            raise BenchError(f"{what}: cnf.x5t#S256 {bound!r}, expected {self.thumbprint!r}")
        if scenario != "tls_client_auth" and bound is not None:
            raise BenchError(f"{what}: an unbound client got a bound token: {claims}")
        return header.get("kid")

    def check_bare(self):
        for base, cert in ((self.bare.main_url, None), (self.bare.mtls_url, self.certificate)):
            response = self.stack.curl.request(base + "/token", method="POST",
                                               headers=["Content-Type: application/x-www-form-urlencoded"],
                                               body=self.basic_body.encode(), cert=cert)
            if response.status != 200 or response.media_type() != "application/json":
                raise BenchError(f"bare responder POST /token at {base}: HTTP {response.status} "
                                 f"{response.header('content-type')}")

    # ---- signing keys ------------------------------------------------

    def rotate(self, algorithm):
        """A brand-new ALGORITHM key, active at once (`keys rotate --force`)."""
        self.stack.run_credence(["keys", "rotate", "--force", "--alg", algorithm, "--config",
                                 self.stack.config_file], f"credence keys rotate --force --alg {algorithm}")

    def wait_for(self, algorithm, timeout):
        """Until the responders sign with ALGORITHM (they re-read the keys every
        keys.refresh_interval_seconds); returns the seconds waited."""
        start = time.monotonic()
        from joserfc import jws
        while True:
            response = self.request("client_secret_basic")
            if response.status == 200:
                token = json.loads(response.body)["access_token"]
                if jws.extract_compact(token.encode()).headers().get("alg") == algorithm:
                    return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise BenchError(f"the responder still does not sign with {algorithm} after {timeout:.0f} s")
            time.sleep(1)


def pgbench_select(stack, client_id, connections, seconds, meter):
    """Primary-key SELECTs of one client row per second: the product's own
    query (PostgresClientStore), prepared, against the same cluster; and the
    cluster's CPU per SELECT (METER's pg part; pgbench's own CPU left out)."""
    script = stack.path("token-bench", "select-client.sql")
    write(script, "SELECT client_id, client_secret_hash, token_endpoint_auth_method, "
                  "registration_access_token_hash, access_token_lifetime_seconds, metadata, created_at, "
                  "updated_at FROM clients WHERE client_id = :client_id;\n")
    return run_pgbench(stack, script, connections, seconds, meter, "pgbench", ["-D", f"client_id={client_id}"])


def run_pgbench(stack, script, connections, seconds, meter, label, options=()):
    """Runs SCRIPT with pgbench (prepared, CONNECTIONS clients, SECONDS) against the stack's
    cluster: its rate, the command as printed (URL and script name shortened), and the
    cluster's CPU per transaction (METER's pg part; pgbench's own CPU left out)."""
    if shutil.which("pgbench") is None:
        raise SetupError("pgbench not found (Debian: postgresql-client; bench/run.sh installs it)")
    command = ["pgbench", "-n", "-M", "prepared", "-c", str(connections),
               "-j", str(max(os.cpu_count() or 1, 1)), "-T", str(seconds), *options,
               "-f", script, stack.database_url]
    before = meter.sample(meter.pg())
    output = run(command, label, timeout=seconds + 60)
    after = meter.sample(meter.pg())
    match = re.search(r"^tps = ([\d.]+)", output, re.M)
    processed = re.search(r"^number of transactions actually processed: (\d+)", output, re.M)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if match is None or processed is None or (failed and int(failed.group(1))):
        raise BenchError(f"pgbench: {output}")
    command[command.index(stack.database_url)] = "URL"
    command[command.index(script)] = os.path.basename(script)
    count = int(processed.group(1))
    return {"rate": float(match.group(1)), "command": command,
            "pg_cpu": Meter.spent(before, after) / count * 1e6 if count else None}


def openssl_speed(seconds, processes, algorithm):
    """Signatures per second of ALGORITHM's primitive (ES256: ECDSA P-256,
    PS256: RSA-2048) over PROCESSES processes (`openssl speed -multi`), from
    its -mr output, twice: with -elapsed, a wall-clock rate like wrk's and
    pgbench's, which whatever else runs on the machine lowers alike (what the
    goals compare with); and without, openssl's default, which divides by the
    processes' CPU time: PROCESSES ÷ that rate is the CPU time of one
    signature (the CPU view)."""
    name, primitive, pattern = {
        "ES256": ("ECDSA P-256", "ecdsap256", r"^\+F4:\d+:256:([\d.]+):([\d.]+)\s*$"),
        "PS256": ("RSA-2048", "rsa2048", r"^\+F2:\d+:2048:([\d.]+):([\d.]+)\s*$"),
    }[algorithm]
    rates = []
    for elapsed in (["-elapsed"], []):
        command = ["openssl", "speed"] + elapsed + ["-seconds", str(seconds), "-multi", str(processes),
                                                    "-mr", primitive]
        output = run(command, "openssl speed", timeout=10 * seconds + 60)
        match = re.search(pattern, output, re.M)
        if match is None:
            raise BenchError(f"unexpected openssl speed output:\n{output}")
        rates.append((float(match.group(1)), float(match.group(2))))
    (sign, verify), (sign_per_cpu, _) = rates
    return {"name": name, "sign": sign, "verify": verify,
            "sign_cpu": processes / sign_per_cpu * 1e6 if sign_per_cpu else None,
            "command": ["openssl", "speed", "-elapsed", "-seconds", str(seconds), "-multi", str(processes),
                        primitive]}


# ---- POST /register -----------------------------------------------------------

REGISTRATION_SCOPE = "DynamicClientRegistration"
# The demo directory of the README's five-minute flow is trusted as the stack
# takes its entry from the README: by its signing certificate
# (signer_certificates), so statements are signed PS256 with the demo SSA
# signer's key and name it by its RFC 7638 thumbprint, the entry's default kid.
# The pgbench reference: one autocommit INSERT of a 1 KB JSONB document into a
# scratch table of the same cluster (a single-row write transaction).
SCRATCH_TABLE = "bench_scratch_jsonb"


def sign_registrations(job):
    """COUNT registration bodies as the README's step 5 sends them: a software
    statement of the demo directory (PS256 by kid, a unique jti and software_id
    each, so neither the jti replay check nor the one-client-per-software_id
    policy refuses it) with the TPP's key in software_jwks, and private_key_jwt
    metadata. Runs in a worker process (joserfc)."""
    signer_pem, tpp_jwk, issuer, prefix, count = job
    import secrets
    from joserfc import jwt
    from joserfc.jwk import RSAKey
    key = RSAKey.import_key(signer_pem)
    header = {"alg": "PS256", "typ": "JWT", "kid": key.thumbprint()}
    now = int(time.time())
    bodies = []
    for _ in range(count):
        software_id = f"{prefix}-{secrets.token_hex(8)}"
        statement = jwt.encode(header, {
            "iss": issuer, "iat": now, "exp": now + 3600, "jti": secrets.token_urlsafe(18),
            "software_id": software_id, "org_id": "BenchOrg01", "org_status": "Active",
            "software_client_name": "Bench TPP", "software_roles": ["AISP", "PISP"],
            "software_redirect_uris": ["https://tpp.example/callback"],
            "software_jwks": {"keys": [tpp_jwk]}}, key, algorithms=["PS256"])
        bodies.append(json.dumps({"software_statement": statement,
                                  "token_endpoint_auth_method": "private_key_jwt",
                                  "token_endpoint_auth_signing_alg": "ES256"}, separators=(",", ":")))
    return bodies


class RegisterBench:
    """POST /register through the stack's nginx, as the README's five-minute
    flow registers: a registrar client made by `credence clients create`, an
    initial access token from POST /token (a fresh one for each run: they live
    tokens.access_token_lifetime_seconds), and one pre-generated statement per
    request, sent in turn by the wrk Lua script of private_key_jwt."""

    def __init__(self, stack, arguments):
        try:
            import joserfc  # noqa: F401
        except ImportError:
            raise SetupError("POST /register needs Python joserfc (pip install joserfc; "
                             "or --no-register)") from None
        from joserfc.jwk import ECKey
        from stack import DEMO_DIRECTORY
        self.stack, self.arguments = stack, arguments
        self.issuer_name = DEMO_DIRECTORY
        self.folder = stack.path("register-bench")
        os.makedirs(self.folder)
        self.nginx = stack.servers["nginx"]
        self.signer_pem = read(os.path.join(stack.pki, "ssa-signer.key"))
        self.tpp_jwk = ECKey.generate_key("P-256", parameters={"kid": "bench-tpp-1", "use": "sig"},
                                          private=True).as_dict(private=False)
        self.files = 0
        self.script = os.path.join(self.folder, "register.lua")
        write(self.script, ASSERTION_LUA)
        output = stack.run_credence(["clients", "create", "--config", stack.config_file, "--auth-method",
                                     "client_secret_basic", "--name", "bench registrar", "--scope",
                                     REGISTRATION_SCOPE], "credence clients create (registrar)")
        registrar = json.loads(output.strip().splitlines()[-1])
        import base64
        credentials = (urllib.parse.quote(registrar["client_id"], safe="") + ":"
                       + urllib.parse.quote(registrar["client_secret"], safe=""))
        self.registrar_authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def initial_access_token(self):
        response = self.stack.curl.request(
            loopback(self.nginx.main_url) + "/token", method="POST",
            headers=["Content-Type: application/x-www-form-urlencoded",
                     f"Authorization: {self.registrar_authorization}"],
            body=f"grant_type=client_credentials&scope={REGISTRATION_SCOPE}".encode())
        if response.status != 200:
            raise BenchError(f"POST /token (registrar): HTTP {response.status}: {response.body[:300]!r}")
        return json.loads(response.body)["access_token"]

    def bodies(self, count):
        """A file of COUNT fresh registration bodies, signed in parallel."""
        import multiprocessing
        processes = max(os.cpu_count() or 1, 1)
        chunk = -(-count // processes)
        self.files += 1
        jobs = [(self.signer_pem, self.tpp_jwk, self.issuer_name, f"bench-{self.files}-{index}", chunk)
                for index in range(processes)]
        with multiprocessing.get_context("fork").Pool(processes, initializer=default_signals) as pool:
            chunks = pool.map(sign_registrations, jobs)
        path = os.path.join(self.folder, f"registrations-{self.files}.txt")
        write(path, "".join(body + "\n" for part in chunks for body in part))
        return path, chunk * processes

    def options(self, path):
        """wrk options for one run over the bodies at PATH, with a fresh initial access token."""
        return {"script": self.script,
                "script_args": (self.arguments.threads, path, "/register", "application/json",
                                f"Bearer {self.initial_access_token()}")}

    def check(self):
        """One registration answered as docs/protocol.md says: 201, no-store, the
        statement's software_id, private_key_jwt, a registration access token and
        URI, the statement echoed; then GET with that token answers it."""
        path, _ = self.bodies(1)
        body = read(path).splitlines()[0]
        token = self.initial_access_token()
        base = loopback(self.nginx.main_url)
        response = self.stack.curl.request(base + "/register", method="POST",
                                           headers=["Content-Type: application/json",
                                                    f"Authorization: Bearer {token}"], body=body.encode())
        if response.status != 201:
            raise BenchError(f"POST /register: HTTP {response.status}: {response.body[:300]!r}")
        answer = json.loads(response.body)
        sent = json.loads(body)
        software_id = json.loads(base64url_decode(sent["software_statement"].split(".")[1]))["software_id"]
        if (answer.get("software_id") != software_id or answer.get("token_endpoint_auth_method") != "private_key_jwt"
                or answer.get("software_statement") != sent["software_statement"]
                or not answer.get("registration_access_token")
                or answer.get("registration_client_uri") != f"{self.stack.issuer}/register/{answer.get('client_id')}"):
            raise BenchError(f"POST /register: unexpected answer {answer}")
        if (response.header("cache-control") or "").lower() != "no-store":
            raise BenchError(f"POST /register: Cache-Control {response.header('cache-control')!r}")
        read_back = self.stack.curl.request(f"{base}/register/{answer['client_id']}",
                                            headers=[f"Authorization: Bearer {answer['registration_access_token']}"])
        if read_back.status != 200 or json.loads(read_back.body).get("client_id") != answer["client_id"]:
            raise BenchError(f"GET /register/{{client_id}}: HTTP {read_back.status}: {read_back.body[:300]!r}")


def base64url_decode(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pgbench_jsonb_insert(stack, connections, seconds, meter):
    """Autocommit INSERTs per second of a 1 KB JSONB document into a scratch
    table of the same cluster (prepared, CONNECTIONS clients), and the
    cluster's CPU per INSERT (pgbench's own CPU left out)."""
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", stack.database_url, "-c",
         f"CREATE TABLE IF NOT EXISTS {SCRATCH_TABLE} (id bigserial PRIMARY KEY, doc jsonb NOT NULL)"],
        "psql (scratch table)")
    document = json.dumps({"kind": "bench", "padding": "x" * 1000}, separators=(",", ":"))
    script = stack.path("register-bench", "insert-jsonb.sql")
    write(script, f"INSERT INTO {SCRATCH_TABLE} (doc) VALUES ('{document}'::jsonb);\n")
    return {**run_pgbench(stack, script, connections, seconds, meter, "pgbench (JSONB insert)"),
            "bytes": len(document)}


def set_durability(stack, durable):
    """The cluster's commit durability: the harness creates it with fsync,
    synchronous_commit and full_page_writes off (POSTGRES_CLUSTER_FAST); all
    three are reloadable, so one run measures both ways. Waits until a new
    session sees the setting."""
    value = "on" if durable else "off"
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", stack.database_url]
    for name in ("fsync", "synchronous_commit", "full_page_writes"):
        command += ["-c", f"ALTER SYSTEM SET {name} = {value}"]
    run(command + ["-c", "SELECT pg_reload_conf()"], "psql (durability)")
    deadline = time.monotonic() + 10
    while run(["psql", "-X", "-At", "-d", stack.database_url, "-c", "SHOW fsync"], "psql").strip() != value:
        if time.monotonic() > deadline:
            raise SetupError(f"PostgreSQL did not take fsync = {value} after a reload")
        time.sleep(0.2)
    time.sleep(0.5)  # the responder's sessions reload at their next command


def register_section(stack, register, bare, load, measure, report_unanswered, arguments, out):
    """POST /register at -c CONNECTIONS next to the pgbench JSONB INSERT at the
    same concurrency, each round one after the other, first on the cluster as
    the harness makes it (no fsync), then with durable commits; the bare
    responder's POST of the same bodies as the HTTP floor; the ratios and goal."""
    nginx = stack.servers["nginx"]
    main_log = os.path.join(nginx.rundir, "logs", "access.log")
    meter = Meter(lambda: server_pids(os.path.join(nginx.rundir, "nginx.pid")) + [stack.responder.pid],
                  lambda: server_pids(os.path.join(stack.postgres_dir, "data", "postmaster.pid"))
                  if stack.postgres_dir else [])
    bare_meter = Meter(lambda: server_pids(os.path.join(bare.rundir, "nginx.pid")) + [bare.process.pid], meter.pg)
    target = Target("credence", loopback(nginx.main_url), main_log, meter)
    bare_target = Target("bare", bare.main_url, bare.access_log, bare_meter)
    # Enough bodies for each run, from a short probe run's rate (twice that
    # rate: the machine's other load moves rates by tens of percent).
    probe_path, _ = register.bodies(2000 + 500 * max(arguments.warmup, 1))
    probe_run = load.run(target.base + "/register", arguments.connections, main_log,
                         seconds=max(arguments.warmup, 1), **register.options(probe_path))
    per_run = []
    rates = [probe_run["rate"]]

    def bodies():
        # The latest POST /register run's rate (the run before may be the bare responder's).
        if load.last and load.last.get("url") == target.base + "/register":
            rates.append(load.last["rate"])
        count = int(max(rates[0], rates[-1]) * arguments.seconds * 2) + 1000
        path, made = register.bodies(count)
        per_run.append(made)
        return register.options(path)

    print("", file=out)
    print(f"POST /register: -t{arguments.threads} -c{arguments.connections} -d{arguments.seconds}s, "
          "each request a fresh software statement of the demo directory (PS256, unique jti and "
          "software_id) with private_key_jwt metadata, as the README's step 5, and a fresh initial "
          "access token per run; then pgbench at the same concurrency: one autocommit INSERT of a "
          "1 KB JSONB document into a scratch table of the same cluster. First as the harness's "
          "cluster runs (fsync, synchronous_commit, full_page_writes off), then with durable commits "
          "(all three on, ALTER SYSTEM + reload). The bare responder's POST of the same bodies "
          "(nginx → bare) is the floor of the HTTP path.", file=out)
    print(header_row("÷bare"), file=out)
    results = {}
    bare_figures = None
    for durable in (False, True):
        set_durability(stack, durable)
        mode = "durable" if durable else "no fsync"
        inserts = []

        def each_round():
            inserts.append(pgbench_jsonb_insert(stack, arguments.connections, arguments.seconds, meter))

        # The bare responder answers every body alike: the probe's bodies, in turn, suffice.
        rows = [] if durable else [("nginx → bare", bare_target, "/register",
                                    lambda: register.options(probe_path))]
        rows.append((mode, target, "/register", bodies))
        figures = measure(rows, arguments.connections, each_round=each_round)
        if not durable:
            bare_figures = figures["nginx → bare"]
            print(row("nginx → bare (same bodies)", bare_figures), file=out)
        registered = figures[mode]
        print(row(f"POST /register, {mode}", registered, bare_figures), file=out)
        report_unanswered(f"POST /register, {mode}", registered)
        insert = sorted(inserts, key=lambda figures: figures["rate"])[(len(inserts) - 1) // 2]
        quotient = registered["rate"] / insert["rate"] if insert["rate"] else 0
        print(f"      {' '.join(insert['command'])}: {insert['rate']:.0f} INSERTs/s of {insert['bytes']} B "
              f"JSONB ({fmt_us(insert['pg_cpu'])} µs PostgreSQL CPU each)"
              + (f", median of {len(inserts)}" if len(inserts) > 1 else ""), file=out)
        print(f"      registrations ÷ INSERTs, {mode}: {registered['rate']:.0f} ÷ {insert['rate']:.0f} = "
              f"{quotient:.2f} (goal ≥ 0.60: {'met' if quotient >= 0.60 else 'MISSED'})", file=out)
        results[mode] = {"register": registered, "insert": insert}
        out.flush()
    set_durability(stack, False)
    sent = sum(figures["register"]["script"].get("bodies-sent", 0) for figures in results.values())
    reused = sum(figures["register"]["script"].get("bodies-reused", 0) for figures in results.values())
    print("  a registration is one transaction of three writes (the statement's jti, the client, the "
          "audit row), after a PS256 statement verify and an ES256 initial access token verify", file=out)
    print(f"  {'/'.join(str(count) for count in per_run)} fresh statements for the runs (joserfc), "
          f"{sent} sent to Credence, {reused} sent a second time (refused: 400 expected)", file=out)
    out.flush()
    return results


# ---- report -------------------------------------------------------------

def fmt_ms(value):
    if value is None:
        return "-"
    return f"{value:.2f}ms" if value < 100 else f"{value:.0f}ms"


def fmt_statuses(counts):
    return " ".join(f"{status}×{count}" for status, count in sorted(counts.items())) or "none"


def unanswered(figures):
    """Requests that got no 2xx: wrk's non-2xx/3xx and connect failures, and
    any non-2xx line in the web server's access log except nginx's 499 (the
    client closed the connection: requests in flight when wrk stopped).
    wrk's timeouts are not in it: wrk counts a response that came later than
    --timeout as a timeout (and leaves it out of the latency percentiles)."""
    logged = sum(count for status, count in figures["logged"].items()
                 if not status.startswith("2") and status != "499")
    return figures["non2xx"] + figures["connect"] + logged


def closed(figures):
    """wrk's read/write errors: a kept-alive connection the server closed; wrk
    opens a new one and sends the request again (counted once, when answered)."""
    return figures["read"] + figures["write"]


def ratio(rate, baseline_rate):
    return f"{rate / baseline_rate:.2f}" if baseline_rate else "-"


def fmt_us(value):
    return "-" if value is None else f"{value:.0f}"


LABEL = 26
RUNS = 1  # --runs; with more than one, rows show the spread of their rates


def row(label, figures, reference=None):
    """One table row; the ratio is req/s ÷ REFERENCE's req/s."""
    quotient = ratio(figures["rate"], reference["rate"]) if reference else ""
    return (f"    {label:<{LABEL}} {figures['rate']:>8.0f} {fmt_ms(figures['p50']):>8} "
            f"{fmt_ms(figures['p99']):>8} {fmt_ms(figures['max']):>8} {figures['non2xx']:>6} "
            f"{figures['connect']:>7} {closed(figures):>5} {figures['timeouts']:>8} {quotient:>6} "
            f"{fmt_us(figures.get('cpu')):>7} {fmt_us(figures.get('pg_cpu')):>6}"
            + (f" {figures['spread'] * 100:>6.0f}%" if figures.get("spread") is not None else ""))


def header_row(reference):
    return (f"    {'':<{LABEL}} {'req/s':>8} {'p50':>8} {'p99':>8} {'max':>8} {'non2xx':>6} "
            f"{'connect':>7} {'rd/wr':>5} {'timeouts':>8} {reference:>6} {'cpu µs':>7} {'pg µs':>6}"
            + (f" {'spread':>7}" if RUNS > 1 else ""))


def median_run(runs):
    """The run with the median rate (the lower middle one for an even count),
    with every run's failures added up so that none is hidden."""
    chosen = dict(sorted(runs, key=lambda figures: figures["rate"])[(len(runs) - 1) // 2])
    for key in ("non2xx", "connect", "read", "write", "timeouts"):
        chosen[key] = sum(figures[key] for figures in runs)
    logged, script = {}, {}
    for figures in runs:
        for status, count in figures["logged"].items():
            logged[status] = logged.get(status, 0) + count
        for name, count in figures["script"].items():
            script[name] = script.get(name, 0) + count
    chosen["logged"], chosen["script"], chosen["runs"] = logged, script, len(runs)
    rates = [figures["rate"] for figures in runs]
    chosen["spread"] = (max(rates) - min(rates)) / chosen["rate"] if len(runs) > 1 and chosen["rate"] else None
    return chosen


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--credence", required=True,
                        help="the credence binary (bench/run.sh passes the release build)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs of each row, taken in turns; the median is printed (default 1)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32,
                        help="wrk keep-alive connections (default 32)")
    parser.add_argument("--workers", type=int, default=32,
                        help="the responder's `workers`, and the bare responder's threads "
                             "(default 32, the product default)")
    parser.add_argument("--overload-connections", type=int, default=None,
                        help="connections of the overload run (default 2 × --workers)")
    parser.add_argument("--timeout", type=int, default=2,
                        help="wrk --timeout: a response slower than this counts as a timeout (default 2)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of unreported load per URL before the runs (default 1)")
    parser.add_argument("--apache", action="store_true",
                        help="measure through Apache too (and a static Apache baseline)")
    parser.add_argument("--no-token", action="store_true",
                        help="skip POST /token, pgbench and openssl speed")
    parser.add_argument("--no-register", action="store_true",
                        help="skip POST /register and its pgbench JSONB INSERT")
    parser.add_argument("--only-register", action="store_true",
                        help="only POST /register and its pgbench JSONB INSERT (after the correctness checks)")
    parser.add_argument("--only-token", action="store_true",
                        help="only POST /token (after the correctness checks): no GET, overload or "
                             "POST /register rows")
    parser.add_argument("--token-scenarios", default=",".join(TokenBench.SCENARIOS),
                        help="comma-separated POST /token rows to load, each with the bare responder's "
                             "row on its host (default all: " + ",".join(TokenBench.SCENARIOS) + "); "
                             "every scenario is still checked once")
    parser.add_argument("--no-ps256", action="store_true",
                        help="POST /token with the ES256 key only: no rotation, no PS256 phase, no goals")
    parser.add_argument("--assertion-alg", choices=("ES256", "PS256"), default="ES256",
                        help="algorithm of the private_key_jwt client's assertions (default ES256)")
    parser.add_argument("--speed-seconds", type=int, default=3,
                        help="openssl speed -seconds (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    arguments = parser.parse_args(argv)
    if min(arguments.seconds, arguments.threads, arguments.connections, arguments.workers,
           arguments.timeout, arguments.runs, arguments.speed_seconds) < 1 or arguments.warmup < 0:
        parser.error("counts and durations must be positive")
    if arguments.connections < arguments.threads:
        parser.error("wrk needs at least one connection per thread")
    if arguments.no_register and arguments.only_register:
        parser.error("--no-register and --only-register exclude each other")
    if arguments.only_register and (arguments.only_token or arguments.no_token):
        parser.error("--only-register excludes --only-token and --no-token")
    if arguments.only_token and arguments.no_token:
        parser.error("--only-token and --no-token exclude each other")
    if arguments.only_register:
        arguments.no_token = True
    if arguments.only_token:
        arguments.no_register = True
    scenarios = [name for name in arguments.token_scenarios.split(",") if name]
    unknown = [name for name in scenarios if name not in TokenBench.SCENARIOS]
    if unknown or not scenarios:
        parser.error(f"--token-scenarios: one or more of {', '.join(TokenBench.SCENARIOS)}")
    # In the harness's order, whatever order they were given in.
    arguments.token_scenarios = tuple(name for name in TokenBench.SCENARIOS if name in scenarios)
    if arguments.overload_connections is None:
        arguments.overload_connections = 2 * arguments.workers
    return arguments


def config_value(path, pattern):
    match = re.search(pattern, read(path), re.M)
    return match.group(1) if match else "?"


def main(argv):
    arguments = parse_arguments(argv)
    global RUNS
    RUNS = arguments.runs
    tools = ["wrk", "curl", "nginx", "openssl", "cc"] + (["apache2"] if arguments.apache else [])
    tools += [] if arguments.no_token and arguments.no_register else ["pgbench"]
    tools += [] if arguments.no_register else ["psql"]
    for tool in tools:
        if shutil.which(tool) is None:
            print(f"http.py: {tool} not found (bench/run.sh installs wrk and pgbench; "
                  "scripts/install-deps.sh the rest)", file=sys.stderr)
            return 2
    webservers = ("nginx", "apache") if arguments.apache else ("nginx",)
    stack = Stack(arguments.credence, webservers=webservers, keep=arguments.keep,
                  responder_workers=arguments.workers)
    stack.bare = None

    def terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)

    failed = True
    try:
        try:
            stack.start()
        except SetupError as error:
            print(f"http.py: setup failed: {error}", file=sys.stderr)
            return 2
        try:
            status = benchmark(stack, arguments)
        except (BenchError, SetupError) as error:
            print(f"http.py: {error}", file=sys.stderr)
            return 1
        failed = status != 0
        return status
    except KeyboardInterrupt as interruption:
        print(f"http.py: interrupted ({interruption}); tearing down", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack.bare is not None:
            stack.bare.stop()
        stack.stop(failed=failed)


class Target:
    """Something wrk loads: a base URL, the access log that shows what it
    answered, the CPU meter of its processes."""

    def __init__(self, name, base, log, meter):
        self.name, self.base, self.log, self.meter = name, base, log, meter


def benchmark(stack, arguments):
    out = sys.stdout
    ca_file = os.path.join(stack.pki, "server-ca.pem")
    workdir = stack.path("curl")
    nginx = stack.servers["nginx"]

    def postgres():
        if not stack.postgres_dir:
            return []
        return server_pids(os.path.join(stack.postgres_dir, "data", "postmaster.pid"))

    def meter(pidfile, process=None):
        return Meter(lambda: server_pids(pidfile) + ([process.pid] if process else []), postgres)

    credence_meter = meter(os.path.join(nginx.rundir, "nginx.pid"), stack.responder)
    responders = [Target("nginx → credence", loopback(nginx.main_url),
                         os.path.join(nginx.rundir, "logs", "access.log"), credence_meter)]
    if arguments.apache:
        apache = stack.servers["apache"]
        responders.append(Target("apache → credence", loopback(apache.main_url),
                                 os.path.join(apache.rundir, "logs", "access.log"),
                                 meter(os.path.join(apache.rundir, "apache2.pid"), stack.responder)))

    # Correctness first: every URL once through each web server.
    documents = {}
    checks = []
    for target in responders:
        for path in ENDPOINTS:
            response = fetch(target.base + path, ca_file, workdir)
            check_document(path, response, stack.issuer)
            checks.append((target.name.split()[0], path, response))
            documents.setdefault(path, response)
            if response.body != documents[path].body:
                raise BenchError(f"GET {path}: {target.name} answered other bytes than nginx")

    baseline_ports = free_ports(2)
    url, nginx_tls = start_nginx_baseline(stack, baseline_ports[0], documents)
    baselines = [(Target("nginx static", url, stack.path("nginx-baseline", "logs", "access.log"),
                         meter(stack.path("nginx-baseline", "nginx.pid"))), nginx_tls)]
    if arguments.apache:
        url, apache_tls = start_apache_baseline(stack, baseline_ports[1], documents)
        baselines.append((Target("apache static", url, stack.path("apache-baseline", "logs", "access.log"),
                                 meter(stack.path("apache-baseline", "apache2.pid"))), apache_tls))
    for target, _ in baselines:
        for path in ENDPOINTS:
            response = fetch(target.base + path, ca_file, workdir)
            check_document(path, response, stack.issuer)
            if response.body != documents[path].body:
                raise BenchError(f"baseline {target.name} {path}: other bytes than the responder's")
            if response.media_type() != documents[path].media_type():
                raise BenchError(f"baseline {target.name} {path}: Content-Type "
                                 f"{response.header('content-type')!r}")
            checks.append((target.name, path, response))

    bare = start_bare(stack, stack.responder_workers)
    bare_meter = meter(os.path.join(bare.rundir, "nginx.pid"), bare.process)
    bare_target = Target("nginx → bare", bare.main_url, bare.access_log, bare_meter)
    for path in ENDPOINTS:
        response = fetch(bare.main_url + path, ca_file, workdir)
        if response.status != 200 or response.media_type() != "application/json":
            raise BenchError(f"bare responder GET {path}: HTTP {response.status} "
                             f"{response.header('content-type')}")
        checks.append(("nginx → bare", path, response))

    token = None
    if not arguments.no_token:
        token = TokenBench(stack, bare, arguments)
        token.create_clients()
        token.check_bare()
        for scenario in TokenBench.SCENARIOS:
            token.check(scenario, "ES256")

    register = None
    if not arguments.no_register:
        register = RegisterBench(stack, arguments)
        register.check()

    nginx_conf = os.path.join(nginx.rundir, "nginx.conf")
    sample = os.path.join(nginx.rundir, "credence.conf")
    processes = config_value(nginx_conf, r"^\s*worker_processes\s+(\d+);")
    keepalive = config_value(sample, r"^\s*keepalive\s+(\d+);")
    cpus = os.cpu_count()
    load = Load(arguments)

    print("Credence end-to-end HTTP benchmark (figures only; compare within one run)", file=out)
    print(f"  machine: {cpus} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"at start", file=out)
    print(f"  NOTE: wrk ({arguments.threads} threads) shares these {cpus} cores with nginx, Apache, "
          "credence serve and PostgreSQL (and with whatever else runs on the machine): absolute "
          "figures are low and noisy; the ratios against the baselines measured in this run are "
          "what to compare.", file=out)
    print(f"  credence serve: {stack.responder_workers} workers, log_level info "
          f"(one access line per request), {stack.credence}", file=out)
    print(f"  nginx: worker_processes {processes}, upstream keepalive {keepalive} per worker "
          f"(at most {int(processes) * int(keepalive) if keepalive.isdigit() and processes.isdigit() else '?'} "
          f"idle FastCGI connections against {stack.responder_workers} workers), fastcgi_keep_conn on, "
          "client keepalive_timeout 30s", file=out)
    print(f"  bare responder: bench/bare-responder.c (cc -O2, libfcgi), {stack.responder_workers} "
          "threads in FCGX_Accept_r on one socket, a fixed small JSON answer to every path, behind "
          f"a second nginx rendered by scripts/nginx.sh with the same options but keepalive "
          f"{max(1, stack.responder_workers // 4)} (a thread per kept connection): the floor of "
          "nginx + FastCGI + libfcgi", file=out)
    if arguments.apache:
        print("  apache: mpm_event (ServerLimit 2 × ThreadsPerChild 25), mod_proxy_fcgi "
              "enablereuse=on (kept FastCGI connections, as in the sample)", file=out)
    for target, tls in baselines:
        print(f"  baseline '{target.name}': a second instance from the same rendered main config, the "
              f"issuer host's TLS directives ({', '.join(line.split()[0] for line in tls)}) and "
              "the responder's exact bodies and headers"
              + (" (`return 200`)" if target.name.startswith("nginx") else " (static files)"), file=out)
    print(f"  wrk: {' '.join(load.command('URL', arguments.connections))}: keep-alive HTTP/1.1 "
          "over TLS" + (f"; {arguments.runs} runs of each row taken in turns, the median printed "
                        "(failures: all runs added up; spread = (max - min) ÷ median req/s)"
                        if arguments.runs > 1 else ""), file=out)
    print("  cpu µs: CPU time (user + system, /proc) of the web server's processes and the responder "
          "behind it during the run ÷ requests answered; pg µs: the same for the whole PostgreSQL "
          "cluster. wrk's own CPU is in neither.", file=out)
    print("  latency: wrk 4's percentiles include its coordinated-omission correction (a response "
          "k times slower than a connection's mean request interval adds about k synthetic "
          "samples), so a few stalls raise p99 a lot; max is the slowest real response; responses "
          "later than --timeout count as timeouts and are left out of both", file=out)
    print("", file=out)
    print("correctness (one curl each, CA-verified TLS, before any load):", file=out)
    for name, path, response in checks:
        print(f"    {name:<16} GET {path:<34} {response.status} "
              f"{response.header('content-type')}  {len(response.body)} B  ok", file=out)
    if token:
        print(f"    POST /token: client_secret_basic, private_key_jwt ({arguments.assertion_alg} "
              "assertion) and tls_client_auth (bound) through nginx: 200, Bearer, no-store, the "
              "token verified by joserfc with the published JWKS as ES256, cnf.x5t#S256 = SHA-256 of "
              "the presented certificate; the bare responder answers POST 200 on both hosts", file=out)
    if register:
        print("    POST /register: a statement of the demo directory with private_key_jwt metadata and an "
              "initial access token from POST /token: 201, no-store, its software_id, statement echoed, "
              "a registration access token that reads the registration back (GET 200)", file=out)
    out.flush()

    if arguments.warmup and not (arguments.only_register or arguments.only_token):
        for target in responders + [target for target, _ in baselines] + [bare_target]:
            for path in ENDPOINTS:
                load.run(target.base + path, arguments.connections, target.log, seconds=arguments.warmup)

    def measure(rows, connections, each_round=None):
        """RUNS runs of each (label, target, path, options) row, in turns
        (EACH_ROUND, if given, is called after each round); returns label →
        median figures."""
        results = {label: [] for label, _, _, _ in rows}
        for _ in range(arguments.runs):
            for label, target, path, options in rows:
                # A callable gives each run its own options (fresh assertions).
                options = options() if callable(options) else options
                results[label].append(load.run(target.base + path, connections, target.log,
                                               meter=target.meter, **options))
            if each_round:
                each_round()
        return {label: median_run(runs) for label, runs in results.items()}

    status = 0

    def report_unanswered(label, figures, expected_non2xx=0):
        nonlocal status
        if unanswered(figures) > expected_non2xx:
            status = 1
            print(f"    !! {label}: {unanswered(figures)} requests without a 2xx answer "
                  f"(access log: {fmt_statuses(figures['logged'])})", file=out)

    print("", file=out)
    print(f"load: -t{arguments.threads} -c{arguments.connections} -d{arguments.seconds}s per row; "
          "÷bare = req/s ÷ req/s of the bare responder in this run (nginx rows; the Apache rows "
          "too: there is no bare Apache)", file=out)
    summary = {}
    for path in () if arguments.only_register or arguments.only_token else ENDPOINTS:
        print(f"  GET {path}", file=out)
        print(header_row("÷bare"), file=out)
        rows = [("nginx → bare", bare_target, path, {})]
        rows += [(target.name, target, path, {}) for target, _ in baselines]
        rows += [(target.name, target, path, {}) for target in responders]
        figures = measure(rows, arguments.connections)
        for label, _, _, _ in rows:
            print(row(label, figures[label], figures["nginx → bare"]), file=out)
            report_unanswered(label, figures[label])
        summary[path] = figures
        out.flush()
    print("  non2xx: wrk's count of responses ≥ 400; connect: failed connects; rd/wr: kept-alive "
          "connections the server closed (wrk reconnects and re-sends); timeouts: responses later "
          f"than {arguments.timeout}s; an access-log 499 is a request in flight when wrk stopped",
          file=out)

    if not (arguments.only_register or arguments.only_token):
        print("", file=out)
        print(f"overload: -c{arguments.overload_connections} against {stack.responder_workers} "
              f"responder workers, GET {OVERLOAD_PATH} (a PostgreSQL round trip each), "
              f"{arguments.seconds}s, wrk --timeout {arguments.timeout}s; the static baseline of the "
              "same web server under the same load for comparison; then, at once, a probe of "
              f"{arguments.overload_connections} requests on fresh connections (5 s each)", file=out)
        print(header_row("÷stat"), file=out)
        for (baseline, _), target in zip(baselines, responders):
            base_figures = load.run(baseline.base + OVERLOAD_PATH, arguments.overload_connections,
                                    baseline.log, meter=baseline.meter)
            print(row(baseline.name, base_figures), file=out)
            figures = load.run(target.base + OVERLOAD_PATH, arguments.overload_connections, target.log,
                               meter=target.meter)
            probed = probe(target.base + OVERLOAD_PATH, ca_file, arguments.overload_connections)
            print(row(target.name, figures, base_figures), file=out)
            missing = unanswered(figures)
            hung = sum(1 for code in probed if code != 200)
            open_at_stop = figures["logged"].get("499", 0)
            if missing or hung:
                status = 1
            name = target.name.split()[0]
            print(f"      wrk completed {figures['requests']}; {name} access log "
                  f"{fmt_statuses(figures['logged'])}", file=out)
            print(f"      every request answered with 2xx: "
                  + ("yes" if not missing else f"NO: {missing} without a 2xx answer")
                  + f"; {figures['timeouts']} answered later than {arguments.timeout}s; {open_at_stop} "
                  "still open when wrk stopped (access-log 499)", file=out)
            print(f"      probe right after: {len(probed) - hung} of {len(probed)} answered 200"
                  + ("" if not hung else f"; {hung} with no answer within 5 s: the keep-alive trap?"),
                  file=out)
            if closed(figures):
                print(f"      {closed(figures)} kept-alive client connections closed by {name} and "
                      f"re-opened by wrk ({closed(base_figures)} with its static baseline)", file=out)
            out.flush()
        print("  The keep-alive trap (docs/web-servers.md, \"Sizing\") shows as requests open when "
              "wrk stops (one per stuck connection), timeouts, and probe requests without an answer; "
              "timeouts alone also come from a long queue or a loaded machine.", file=out)

    tokens = {}
    if token:
        tokens["ES256"] = token_section(stack, token, load, measure, report_unanswered, bare,
                                        "ES256", arguments, out)
    if token and not arguments.no_ps256:
        token.rotate("PS256")
        refresh = config_value(stack.config_file, r"^\s*refresh_interval_seconds:\s*(\d+)")
        refresh = int(refresh) if refresh.isdigit() else 30  # the product's default
        waited = token.wait_for("PS256", refresh + 15)
        for scenario in TokenBench.SCENARIOS:
            token.check(scenario, "PS256")
        print("", file=out)
        print(f"credence keys rotate --force --alg PS256: the responder signed with the new key after "
              f"{waited:.0f} s (keys.refresh_interval_seconds {refresh}); each scenario checked again "
              "as above, the token verified as PS256", file=out)
        tokens["PS256"] = token_section(stack, token, load, measure, report_unanswered, bare,
                                        "PS256", arguments, out)
        print_ceilings(tokens, arguments, out)

    registration = None
    if register:
        registration = register_section(stack, register, bare, load, measure, report_unanswered, arguments, out)

    print("", file=out)
    print("summary, Credence req/s ÷ the bare libfcgi responder's (and ÷ the static nginx's), with "
          "server CPU per request (nginx + responder):", file=out)
    for path, figures in summary.items():
        credence, bare_figures = figures["nginx → credence"], figures["nginx → bare"]
        parts = [f"nginx {ratio(credence['rate'], bare_figures['rate'])} of bare "
                 f"({ratio(credence['rate'], figures['nginx static']['rate'])} of static), "
                 f"{fmt_us(credence['cpu'])} µs vs {fmt_us(bare_figures['cpu'])} µs"]
        if "apache → credence" in figures:
            parts.append(f"apache {ratio(figures['apache → credence']['rate'], figures['apache static']['rate'])}"
                         " of apache static")
        print(f"    GET {path:<34} " + "; ".join(parts), file=out)
    for algorithm, figures in tokens.items():
        for scenario in arguments.token_scenarios:
            reference = figures["nginx → bare (mTLS)" if scenario == "tls_client_auth" else "nginx → bare"]
            credence = figures[scenario]
            print(f"    POST /token {scenario:<20} {algorithm}  {credence['rate']:>6.0f} req/s, "
                  f"{ratio(credence['rate'], reference['rate'])} of bare, {fmt_us(credence['cpu'])} µs "
                  f"vs {fmt_us(reference['cpu'])} µs (+ {fmt_us(credence['pg_cpu'])} µs PostgreSQL)",
                  file=out)
    for mode, figures in (registration or {}).items():
        registered, insert = figures["register"], figures["insert"]
        print(f"    POST /register, {mode:<19} {registered['rate']:>6.0f} req/s, "
              f"{ratio(registered['rate'], insert['rate'])} of the pgbench 1 KB JSONB INSERT "
              f"({insert['rate']:.0f}/s, -c{arguments.connections}; goal ≥ 0.60), "
              f"{fmt_us(registered['cpu'])} µs (+ {fmt_us(registered['pg_cpu'])} µs PostgreSQL; "
              f"{fmt_us(insert['pg_cpu'])} µs per INSERT)", file=out)
    print(f"  load average at end (this benchmark's own load included): "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)
    out.flush()
    return status


def token_section(stack, token, load, measure, report_unanswered, bare, algorithm, arguments, out):
    """The POST /token rows with ALGORITHM as the active signing key, each
    next to the bare responder's POST on the same host."""
    nginx = stack.servers["nginx"]
    main_log = os.path.join(nginx.rundir, "logs", "access.log")
    credence_meter = Meter(lambda: server_pids(os.path.join(nginx.rundir, "nginx.pid")) + [stack.responder.pid],
                           lambda: server_pids(os.path.join(stack.postgres_dir, "data", "postmaster.pid"))
                           if stack.postgres_dir else [])
    bare_meter = Meter(lambda: server_pids(os.path.join(bare.rundir, "nginx.pid")) + [bare.process.pid],
                       credence_meter.pg)
    credence_main = Target("credence", loopback(nginx.main_url), main_log, credence_meter)
    credence_mtls = Target("credence mTLS", loopback(nginx.mtls_url), main_log, credence_meter)
    bare_main = Target("bare", bare.main_url, bare.access_log, bare_meter)
    bare_mtls = Target("bare mTLS", bare.mtls_url, bare.access_log, bare_meter)
    scenarios = arguments.token_scenarios
    main_host = "client_secret_basic" in scenarios or "private_key_jwt" in scenarios
    mtls_host = "tls_client_auth" in scenarios
    basic = {"script": token.scripts["basic"]}
    with_certificate_basic = {"script": token.scripts["basic"], "env": token.certificate_env}
    with_certificate = {"script": token.scripts["tls"], "env": token.certificate_env}

    # Enough assertions for every private_key_jwt run: measured from a short
    # client_secret_basic run (private_key_jwt does more work per request).
    probe_run = load.run(credence_main.base + "/token", arguments.connections, main_log,
                         seconds=max(arguments.warmup, 1), **basic)

    def enough():
        # private_key_jwt does more per request than client_secret_basic,
        # whose run comes just before it in each round; twice that rate, as the
        # machine's other load moves rates by tens of percent between runs.
        rate = max(probe_run["rate"], load.last["rate"])
        return int(rate * arguments.seconds * 2) + 2000
    per_run = []
    if arguments.warmup:
        if "private_key_jwt" in scenarios:
            warm, _ = token.assertions(int(probe_run["rate"] * arguments.warmup * 2) + 500)
            load.run(credence_main.base + "/token", arguments.connections, main_log, seconds=arguments.warmup,
                     script=token.scripts["assertions"], script_args=(arguments.threads, warm))
        for target, options in ((bare_main, basic), (bare_mtls, with_certificate_basic),
                                (credence_mtls, with_certificate)):
            if target is bare_main and not main_host or target is not bare_main and not mtls_host:
                continue
            load.run(target.base + "/token", arguments.connections, target.log,
                     seconds=arguments.warmup, **options)

    print("", file=out)
    print(f"POST /token, {algorithm} active signing key: -t{arguments.threads} "
          f"-c{arguments.connections} -d{arguments.seconds}s per row; ÷bare = req/s ÷ the bare "
          "responder's POST on the same host (the issuer host; tls_client_auth: the mTLS alias "
          "host with the client certificate)", file=out)
    print(header_row("÷bare"), file=out)
    # Each private_key_jwt run gets a file of assertions signed just before it
    # (their exp lies 300 s ahead).
    def assertions():
        path, count = token.assertions(enough())
        per_run.append(count)
        return {"script": token.scripts["assertions"], "script_args": (arguments.threads, path)}

    rows = [("nginx → bare", bare_main, "/token", basic),
            ("client_secret_basic", credence_main, "/token", basic),
            ("private_key_jwt", credence_main, "/token", assertions),
            ("nginx → bare (mTLS)", bare_mtls, "/token", with_certificate_basic),
            ("tls_client_auth", credence_mtls, "/token", with_certificate)]
    # --token-scenarios: the chosen rows and the bare responder's row on each of their hosts.
    rows = [row for row in rows if row[0] in scenarios
            or row[0] == "nginx → bare" and main_host or row[0] == "nginx → bare (mTLS)" and mtls_host]
    # The ceilings' parts, measured in the same rounds as the rows so that
    # whatever else loads the machine weighs on both alike.
    selects, speeds = [], []

    def ceilings():
        selects.append(pgbench_select(stack, token.basic_id, stack.responder_workers, arguments.seconds,
                                      credence_meter))
        speeds.append(openssl_speed(arguments.speed_seconds, os.cpu_count() or 1, algorithm))

    figures = measure(rows, arguments.connections, each_round=ceilings)
    for label, _, _, _ in rows:
        reference = figures["nginx → bare (mTLS)" if label in ("tls_client_auth", "nginx → bare (mTLS)")
                            else "nginx → bare"]
        print(row(label, figures[label], reference), file=out)
    figures["select"] = sorted(selects, key=lambda select: select["rate"])[(len(selects) - 1) // 2]
    figures["speed"] = sorted(speeds, key=lambda speed: speed["sign"])[(len(speeds) - 1) // 2]
    select, speed = figures["select"], figures["speed"]
    print(f"  {' '.join(select['command'])}: the responder's client SELECT by primary key, "
          f"{select['rate']:.0f}/s ({fmt_us(select['pg_cpu'])} µs PostgreSQL CPU each)"
          + (f", median of {len(selects)}" if len(selects) > 1 else ""), file=out)
    print(f"  {' '.join(speed['command'])}: {speed['name']} sign {speed['sign']:.0f}/s (verify "
          f"{speed['verify']:.0f}/s), all processes together; without -elapsed (per CPU second): "
          f"{speed['sign_cpu']:.0f} µs CPU per sign"
          + (f", median of {len(speeds)}" if len(speeds) > 1 else ""), file=out)
    for label, _, _, _ in rows:
        report_unanswered(label, figures[label])
    if "private_key_jwt" in scenarios:
        jwt_figures = figures["private_key_jwt"]
        reused = jwt_figures["script"].get("bodies-reused", 0)
        non2xx = jwt_figures["non2xx"]
        print(f"  private_key_jwt: {'/'.join(str(count) for count in per_run)} fresh "
              f"{arguments.assertion_alg} assertions for the runs "
              f"(joserfc, a unique jti each), {jwt_figures['script'].get('bodies-sent', 0)} sent, "
              f"{reused} sent a second time (a replay: 401 expected); non-2xx answers: {non2xx} "
              f"(access log {fmt_statuses(jwt_figures['logged'])})", file=out)
    if mtls_host:
        print("  tls_client_auth: Debian's wrk cannot present a client certificate, nor can h2load; "
              "bench/wrk-client-cert.c (LD_PRELOAD into wrk) loads tpp.pem into wrk's TLS context, so "
              "these rows use the same load generator as all others", file=out)
    out.flush()
    return figures


def print_ceilings(tokens, arguments, out):
    """The token endpoint's goals (issue: ES256 ≥ 0.70 of the composed ceiling,
    PS256 ≥ 0.80 of the RSA-2048 sign rate), by rate as the goals are written,
    and the same composition in CPU time per request, which other load on the
    machine disturbs less."""
    print("", file=out)
    print("goals, each phase against the ceilings measured in its own rounds:", file=out)
    print("  ES256 tokens: ceiling = 1/(1/fastcgi + 1/sign + 1/select): fastcgi = the bare responder's "
          "POST rate on the same host, sign = ECDSA P-256 sign (openssl speed -elapsed, all cores), select = "
          "the pgbench SELECT; goal ≥ 0.70", file=out)
    print("  cpu view: (bare nginx + responder CPU + sign CPU + PostgreSQL CPU per SELECT) ÷ (Credence's "
          "nginx + responder + PostgreSQL CPU), per request; CPU time too stretches when the machine is "
          "oversubscribed (steal, caches), so a part measured in a busier moment than the row can "
          "lift this ratio, even above 1", file=out)
    def header(ceiling, quotient):
        return (f"    {'':<22} {'req/s':>7} {'fastcgi':>8} {'sign':>7} {'select':>7} {ceiling:>8} "
                f"{quotient:>6} {'goal':>7}   {'cpu µs':>7} {'ceiling':>8} {'ratio':>6}")

    def cpu_view(phase, scenario, bare_figures):
        figures = phase[scenario]
        if None in (figures["cpu"], figures["pg_cpu"], bare_figures["cpu"], phase["select"]["pg_cpu"],
                    phase["speed"]["sign_cpu"]):
            return f"{'-':>7} {'-':>8} {'-':>6}"
        spent = figures["cpu"] + figures["pg_cpu"]
        floor = bare_figures["cpu"] + phase["speed"]["sign_cpu"] + phase["select"]["pg_cpu"]
        return f"{spent:>7.0f} {floor:>8.0f} {floor / spent:>6.2f}"

    es = tokens["ES256"]
    print(header("ceiling", "ratio"), file=out)
    for scenario in arguments.token_scenarios:
        bare_figures = es["nginx → bare (mTLS)" if scenario == "tls_client_auth" else "nginx → bare"]
        sign, select = es["speed"]["sign"], es["select"]["rate"]
        ceiling = 1 / (1 / bare_figures["rate"] + 1 / sign + 1 / select)
        rate = es[scenario]["rate"]
        print(f"    {scenario:<22} {rate:>7.0f} {bare_figures['rate']:>8.0f} {sign:>7.0f} {select:>7.0f} "
              f"{ceiling:>8.0f} {rate / ceiling:>6.2f} {'met' if rate / ceiling >= 0.70 else 'MISSED':>7}   "
              + cpu_view(es, scenario, bare_figures), file=out)
    print("    (private_key_jwt does more than the formula counts: an assertion verify and the jti "
          "INSERT, a second PostgreSQL round trip)", file=out)
    print("  PS256 tokens: ratio = req/s ÷ RSA-2048 sign/s (openssl speed -elapsed; its rsa2048 signs PKCS #1 v1.5; "
          "PSS costs the same private-key operation); goal ≥ 0.80. For reference the composed "
          "ceiling with RSA-2048 as sign, which no server can exceed:", file=out)
    ps = tokens["PS256"]
    print(header("composed", "÷sign"), file=out)
    for scenario in arguments.token_scenarios:
        bare_figures = ps["nginx → bare (mTLS)" if scenario == "tls_client_auth" else "nginx → bare"]
        sign, select = ps["speed"]["sign"], ps["select"]["rate"]
        composed = 1 / (1 / bare_figures["rate"] + 1 / sign + 1 / select)
        rate = ps[scenario]["rate"]
        print(f"    {scenario:<22} {rate:>7.0f} {bare_figures['rate']:>8.0f} {sign:>7.0f} {select:>7.0f} "
              f"{composed:>8.0f} {rate / sign:>6.2f} {'met' if rate / sign >= 0.80 else 'MISSED':>7}   "
              + cpu_view(ps, scenario, bare_figures), file=out)
    out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
