#!/usr/bin/env python3
"""End-to-end HTTP benchmark: `credence serve` behind nginx (and Apache) against a static baseline.

    bench/http.py --credence .build/release/credence [--seconds 10] [--apache] [options]

Prints figures; asserts nothing about speed. Starts the end-to-end harness's
stack (Tests/e2e/stack.py: demo PKI, throwaway PostgreSQL cluster, migrations,
keys, `credence serve`, nginx and Apache through scripts/nginx.sh and
scripts/apache.sh, on free ports), then, in the same run and on the same
machine, a BASELINE: a second nginx instance rendered into the stack's temp
dir from the same rendered nginx.conf and the issuer host's TLS directives,
answering each URL itself (`return 200 '…'`) with the responder's own body and
headers (with --apache also a second Apache serving the same bytes as static
files). The operator samples are never changed.

Before any load, each URL is fetched once with curl (CA-verified TLS) and its
status, media type and JSON are checked; the baseline must serve the very same
bytes. Then `wrk --latency` loads each URL for --seconds with keep-alive
HTTP/1.1 connections over TLS: requests/s, latency p50/p99, non-2xx/3xx,
socket errors, timeouts, and the ratio responder/baseline. Last, one run with
more connections than responder workers (default 2×) through each web server,
checking that every request was answered: wrk's error counts, the web
server's access log, and right after the run a probe of as many requests on
fresh connections (the libfcgi keep-alive trap of docs/web-servers.md,
"Sizing", leaves requests hanging: timeouts, requests still open when wrk
stops, probe requests without an answer).

Needs wrk, curl, openssl, nginx (apache2 with --apache), PostgreSQL; standard
library only. Everything is stopped and deleted on exit, also on Ctrl-C and
SIGTERM. Exit status: 0 done, 1 a correctness check failed, a request got no
2xx answer or a probe request hung, 2 the stack could not start.
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

    def command(self, url, connections, seconds=None):
        return ["wrk", f"-t{self.threads}", f"-c{connections}", f"-d{seconds or self.seconds}s",
                f"--timeout", f"{self.timeout}s", "--latency", url]

    def run(self, url, connections, log, seconds=None):
        offset = size(log)
        command = self.command(url, connections, seconds)
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=(seconds or self.seconds) + self.timeout + 60)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(command)}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        figures = parse_wrk(done.stdout)
        time.sleep(0.3)  # the last responses' log lines
        figures["logged"] = access_statuses(log, offset)
        figures["raw"] = done.stdout
        return figures


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


def row(label, figures, baseline=None):
    quotient = ratio(figures["rate"], baseline["rate"]) if baseline else ""
    return (f"    {label:<18} {figures['rate']:>9.0f} {fmt_ms(figures['p50']):>9} "
            f"{fmt_ms(figures['p99']):>9} {fmt_ms(figures['max']):>8} {figures['non2xx']:>7} {figures['connect']:>7} "
            f"{closed(figures):>7} {figures['timeouts']:>8} {quotient:>6}")


def header_row():
    return (f"    {'':<18} {'req/s':>9} {'p50':>9} {'p99':>9} {'max':>8} {'non2xx':>7} {'connect':>7} "
            f"{'rd/wr':>7} {'timeouts':>8} {'ratio':>6}")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--credence", required=True,
                        help="the credence binary (bench/run.sh passes the release build)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=32,
                        help="wrk keep-alive connections (default 32)")
    parser.add_argument("--workers", type=int, default=32,
                        help="the responder's `workers` (default 32, the product default)")
    parser.add_argument("--overload-connections", type=int, default=None,
                        help="connections of the overload run (default 2 × --workers)")
    parser.add_argument("--timeout", type=int, default=2,
                        help="wrk --timeout: a response slower than this counts as a timeout (default 2)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="seconds of unreported load per URL before the runs (default 1)")
    parser.add_argument("--apache", action="store_true",
                        help="measure through Apache too (and a static Apache baseline)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    arguments = parser.parse_args(argv)
    if min(arguments.seconds, arguments.threads, arguments.connections, arguments.workers,
           arguments.timeout) < 1 or arguments.warmup < 0:
        parser.error("counts and durations must be positive")
    if arguments.connections < arguments.threads:
        parser.error("wrk needs at least one connection per thread")
    if arguments.overload_connections is None:
        arguments.overload_connections = 2 * arguments.workers
    return arguments


def config_value(path, pattern):
    match = re.search(pattern, read(path), re.M)
    return match.group(1) if match else "?"


def main(argv):
    arguments = parse_arguments(argv)
    for tool in ["wrk", "curl", "nginx"] + (["apache2"] if arguments.apache else []):
        if shutil.which(tool) is None:
            print(f"http.py: {tool} not found (bench/run.sh installs wrk; "
                  "scripts/install-deps.sh the rest)", file=sys.stderr)
            return 2
    webservers = ("nginx", "apache") if arguments.apache else ("nginx",)
    stack = Stack(arguments.credence, webservers=webservers, keep=arguments.keep,
                  responder_workers=arguments.workers)

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
        stack.stop(failed=failed)


def benchmark(stack, arguments):
    out = sys.stdout
    ca_file = os.path.join(stack.pki, "server-ca.pem")
    workdir = stack.path("curl")
    nginx = stack.servers["nginx"]
    responders = [("nginx", loopback(nginx.main_url), os.path.join(nginx.rundir, "logs", "access.log"))]
    if arguments.apache:
        apache = stack.servers["apache"]
        responders.append(("apache", loopback(apache.main_url),
                           os.path.join(apache.rundir, "logs", "access.log")))

    # Correctness first: every URL once through each web server.
    documents = {}
    checks = []
    for name, base, _ in responders:
        for path in ENDPOINTS:
            response = fetch(base + path, ca_file, workdir)
            check_document(path, response, stack.issuer)
            checks.append((name, path, response))
            documents.setdefault(path, response)
            if response.body != documents[path].body:
                raise BenchError(f"GET {path}: {name} answered other bytes than nginx")

    baseline_ports = free_ports(2)
    baselines = [("nginx static",) + start_nginx_baseline(stack, baseline_ports[0], documents)
                 + (os.path.join(stack.path("nginx-baseline"), "logs", "access.log"),)]
    if arguments.apache:
        baselines.append(("apache static",) + start_apache_baseline(stack, baseline_ports[1], documents)
                         + (os.path.join(stack.path("apache-baseline"), "logs", "access.log"),))
    for name, base, _, _ in baselines:
        for path in ENDPOINTS:
            response = fetch(base + path, ca_file, workdir)
            check_document(path, response, stack.issuer)
            if response.body != documents[path].body:
                raise BenchError(f"baseline {name} {path}: other bytes than the responder's")
            if response.media_type() != documents[path].media_type():
                raise BenchError(f"baseline {name} {path}: Content-Type "
                                 f"{response.header('content-type')!r}")
            checks.append((name, path, response))

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
          "credence serve and PostgreSQL: absolute figures are low and noisy; the ratios against "
          "the baseline measured in this run are what to compare.", file=out)
    print(f"  credence serve: {stack.responder_workers} workers, log_level info "
          f"(one access line per request), {stack.credence}", file=out)
    print(f"  nginx: worker_processes {processes}, upstream keepalive {keepalive} per worker "
          f"(at most {int(processes) * int(keepalive) if keepalive.isdigit() and processes.isdigit() else '?'} "
          f"idle FastCGI connections against {stack.responder_workers} workers), fastcgi_keep_conn on, "
          "client keepalive_timeout 30s", file=out)
    if arguments.apache:
        print("  apache: mpm_event (ServerLimit 2 × ThreadsPerChild 25), mod_proxy_fcgi "
              "enablereuse=off (one FastCGI connection per request)", file=out)
    for name, _, tls, _ in baselines:
        print(f"  baseline '{name}': a second instance from the same rendered main config, the "
              f"issuer host's TLS directives ({', '.join(line.split()[0] for line in tls)}) and "
              "the responder's exact bodies and headers"
              + (" (`return 200`)" if name.startswith("nginx") else " (static files)"), file=out)
    print(f"  wrk: {' '.join(load.command('URL', arguments.connections))}: keep-alive HTTP/1.1 "
          "over TLS", file=out)
    print("  latency: wrk 4's percentiles include its coordinated-omission correction (a response "
          "k times slower than a connection's mean request interval adds about k synthetic "
          "samples), so a few stalls raise p99 a lot; max is the slowest real response; responses "
          "later than --timeout count as timeouts and are left out of both", file=out)
    print("", file=out)
    print("correctness (one curl each, CA-verified TLS, before any load):", file=out)
    for name, path, response in checks:
        print(f"    {name:<14} GET {path:<34} {response.status} "
              f"{response.header('content-type')}  {len(response.body)} B  ok", file=out)
    out.flush()

    if arguments.warmup:
        for _, base, log in responders + [(b[0], b[1], b[3]) for b in baselines]:
            for path in ENDPOINTS:
                load.run(base + path, arguments.connections, log, seconds=arguments.warmup)

    print("", file=out)
    print(f"load: -t{arguments.threads} -c{arguments.connections} -d{arguments.seconds}s per row; "
          "ratio = req/s ÷ req/s of the baseline above it", file=out)
    status = 0
    summary = {}
    for path in ENDPOINTS:
        print(f"  GET {path}", file=out)
        print(header_row(), file=out)
        for (bname, bbase, _, blog), responder in zip(baselines, responders):
            base_figures = load.run(bbase + path, arguments.connections, blog)
            print(row(bname, base_figures), file=out)
            out.flush()
            name, base, log = responder
            figures = load.run(base + path, arguments.connections, log)
            print(row(f"{name} → credence", figures, base_figures), file=out)
            out.flush()
            summary.setdefault(path, {})[name] = figures["rate"]
            summary[path][bname] = base_figures["rate"]
            for label, result in ((bname, base_figures), (name, figures)):
                if unanswered(result):
                    status = 1
                    print(f"    !! {label}: {unanswered(result)} requests without a 2xx answer "
                          f"(access log: {fmt_statuses(result['logged'])})", file=out)
    print("  non2xx: wrk's count of responses ≥ 400; connect: failed connects; rd/wr: kept-alive "
          "connections the server closed (wrk reconnects and re-sends); timeouts: responses later "
          f"than {arguments.timeout}s; an access-log 499 is a request in flight when wrk stopped",
          file=out)

    print("", file=out)
    print(f"overload: -c{arguments.overload_connections} against {stack.responder_workers} "
          f"responder workers, GET {OVERLOAD_PATH} (a PostgreSQL round trip each), "
          f"{arguments.seconds}s, wrk --timeout {arguments.timeout}s; the static baseline of the "
          "same web server under the same load for comparison; then, at once, a probe of "
          f"{arguments.overload_connections} requests on fresh connections (5 s each)", file=out)
    print(header_row(), file=out)
    for (bname, bbase, _, blog), (name, base, log) in zip(baselines, responders):
        base_figures = load.run(bbase + OVERLOAD_PATH, arguments.overload_connections, blog)
        print(row(bname, base_figures), file=out)
        figures = load.run(base + OVERLOAD_PATH, arguments.overload_connections, log)
        probed = probe(base + OVERLOAD_PATH, ca_file, arguments.overload_connections)
        print(row(f"{name} → credence", figures, base_figures), file=out)
        missing = unanswered(figures)
        hung = sum(1 for code in probed if code != 200)
        open_at_stop = figures["logged"].get("499", 0)
        if missing or hung:
            status = 1
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

    print("", file=out)
    print("summary, responder req/s ÷ baseline req/s:", file=out)
    for path, rates in summary.items():
        parts = [f"nginx {ratio(rates['nginx'], rates['nginx static'])}"]
        if "apache" in rates:
            parts.append(f"apache {ratio(rates['apache'], rates['apache static'])} of apache static, "
                         f"{ratio(rates['apache'], rates['nginx static'])} of nginx static")
        print(f"    GET {path:<34} " + "; ".join(parts), file=out)
    print(f"  load average at end (this benchmark's own load included): "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", file=out)
    out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
