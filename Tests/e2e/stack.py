"""The system under test: PostgreSQL, `credence serve`, nginx and Apache, in one temp dir.

Everything is started with the project's own scripts (scripts/pki.sh,
scripts/postgres-cluster.sh, scripts/nginx.sh, scripts/apache.sh) and the
real `credence` binary, and stopped again by `Stack.stop()`, which is safe to
call at any point of a half-finished start.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from client import Curl, CurlError, RawClient, parse_logfmt

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Worker threads of the responder under test: few, so that the concurrency
# test has far more clients than threads.
RESPONDER_WORKERS = 4
# The responder's own body limit in the tests. The web servers refuse bodies
# over 64 KiB themselves (their samples), so a smaller responder limit lets
# the tests reach the responder's 413 as well as the web server's.
RESPONDER_MAX_BODY = 32768
WEB_SERVER_MAX_BODY = 65536
# The responder configuration key for the mTLS alias host's base URL (`mtls.alias_base_url`).
MTLS_ALIAS_KEY = "alias_base_url"
# The client id the configuration names in `tokens.resource_servers` (the bank API of the
# README's "Resource servers" section): it may introspect every client's tokens.
RESOURCE_SERVER_CLIENT_ID = "bank-api"
# clock_skew_seconds of the responder under test: small, so that a token of the shortest
# lifetime (30 s) introspects as expired 35 s after it was issued, not 90 s.
RESPONDER_CLOCK_SKEW = 5
# The upper bound of a responder worker's reconnect back-off (PostgresConfiguration.reconnectBackoff).
DATABASE_RECONNECT_BACKOFF = 5
# jwks_fetch.timeout_seconds: what a token request waits at most for a slow jwks_uri.
JWKS_FETCH_TIMEOUT = 2
# The trusted issuers of the registration tests (test_registration.py): a directory trusted by
# a JWK Set file made in the setup (its key signs ES256 statements by kid), and one trusted by
# the demo directory CA of scripts/pki.sh with its SSA signer named (x5c statements), whose
# software registers over mTLS without an initial access token, bound to its certificate.
E2E_DIRECTORY = "E2E Directory"
E2E_DIRECTORY_KID = "e2e-directory-1"
OB_DIRECTORY = "E2E OB Directory"
# A second directory with the OB one's certificate binding whose transport CA is another one
# (the demo server CA): the OB directory's TPP certificate must not register its software.
SANDBOX_DIRECTORY = "E2E Sandbox Directory"
# The trusted issuer `make run` configures and the README's five-minute flow uses; its
# configuration lines are taken from the README ("Register a TPP in five minutes").
DEMO_DIRECTORY = "Demo Directory"


class SetupError(Exception):
    """The stack could not be started; the message says which part and why."""


@dataclass
class WebServer:
    name: str
    main_url: str   # the issuer's host
    mtls_url: str   # the mTLS alias host
    rundir: str

    def error_log(self):
        return os.path.join(self.rundir, "logs", "error.log")


def free_ports(count):
    """Distinct TCP ports that were free on 127.0.0.1 a moment ago."""
    sockets, ports = [], []
    try:
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


def _user_exists(name):
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def yaml_string(value):
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value)


class Stack:
    def __init__(self, credence, database_url=None, postgres_dir=None,
                 postgres_script=None, webservers=("nginx", "apache"), keep=False,
                 verbose=False, responder_workers=RESPONDER_WORKERS):
        self.credence = os.path.abspath(credence)
        self.external_database_url = database_url
        self.postgres_dir = postgres_dir
        self.postgres_script = postgres_script or os.path.join(REPO, "scripts", "postgres-cluster.sh")
        self.webserver_names = tuple(webservers)
        self.keep = keep
        self.verbose = verbose
        # The responder's `workers`.
        self.responder_workers = responder_workers
        self.dir = None
        self.responder = None
        self.responder_log_file = None
        self.servers = {}
        self.started_servers = []
        self.own_cluster = False
        self.postgres_port = None
        self.curl = None
        self.raw = None
        # Port of the HTTPS host serving client JWK Sets (jwks_fetch.allowed_hosts names it).
        self.jwks_host_port = None
        # time.monotonic() when start_database last brought PostgreSQL back.
        self.database_started_at = None
        # Extra processes the tests start (another responder, private nginx instances):
        # (label, stop function), stopped in reverse order by stop().
        self.cleanups = []
        # Names of the responders start_extra_responder started (their logs: NAME.log).
        self.extra_responders = []

    # ---- paths -------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def pki(self):
        return self.path("pki")

    @property
    def config_file(self):
        return self.path("credence.yaml")

    @property
    def socket_path(self):
        return self.path("run", "credence.sock")

    @property
    def responder_log(self):
        return self.path("responder.log")

    # ---- start/stop --------------------------------------------------

    def start(self):
        if not os.access(self.credence, os.X_OK):
            raise SetupError(f"credence binary not found or not executable: {self.credence}")
        self.dir = tempfile.mkdtemp(prefix="credence-e2e-")
        # Web-server workers (www-data when started as root) and the postgres
        # user must reach the socket and the cluster below this folder.
        os.chmod(self.dir, 0o755)
        os.makedirs(self.path("run"))
        os.chmod(self.path("run"), 0o755)
        self.curl = Curl(os.path.join(self.pki, "server-ca.pem"), self.path("curl"))
        self.raw = RawClient(os.path.join(self.pki, "server-ca.pem"))
        os.makedirs(self.path("curl"))
        self.log(f"e2e: working in {self.dir}")

        self.run_checked(["bash", os.path.join(REPO, "scripts", "pki.sh"), self.pki], "pki.sh")
        self.database_url = self.start_database_first_time()

        ports = free_ports(5)
        self.issuer = f"https://localhost:{ports[0]}"
        self.alias_issuer = f"https://localhost:{ports[1]}"
        self.jwks_host_port = ports[4]
        self.make_directory_keys()
        with open(self.path("kek.b64"), "w", encoding="ascii") as out:
            out.write(self.run_checked(["openssl", "rand", "-base64", "32"], "openssl rand").strip() + "\n")
        os.chmod(self.path("kek.b64"), 0o600)
        self.write_config()

        self.run_credence(["migrate", "--config", self.config_file], "credence migrate")
        self.run_credence(["keys", "generate", "--config", self.config_file, "--alg", "ES256"],
                          "credence keys generate")
        self.run_credence(["keys", "rotate", "--force", "--config", self.config_file], "credence keys rotate")
        self.start_responder()

        if "nginx" in self.webserver_names:
            self.start_webserver("nginx", ports[0], ports[1])
        if "apache" in self.webserver_names:
            # The issuer names nginx's ports (or Apache's when it runs alone):
            # the responder builds every URL from its configuration, whichever
            # web server the request came through.
            apache_ports = ports[2:4] if "nginx" in self.webserver_names else ports[:2]
            self.start_webserver("apache", apache_ports[0], apache_ports[1])
        for server in self.servers.values():
            self.wait_healthy(server)

    def make_directory_keys(self):
        """The E2E directory's statement-signing key (openssl) and its JWK Set (the example
        script, joserfc). The demo directory is trusted by its signing certificate."""
        example = os.path.join(REPO, "docs", "examples", "tpp.py")
        key = os.path.join(self.pki, "e2e-directory.key")
        self.run_checked(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                          "-out", key], "openssl genpkey")
        text = self.run_checked([sys.executable, example, "jwks", key, "--kid", E2E_DIRECTORY_KID], "tpp.py jwks")
        with open(os.path.join(self.pki, "e2e-directory.jwks"), "w", encoding="utf-8") as handle:
            handle.write(text)

    def registration_config(self):
        """The `registration:` section: the README's demo directory entry (its var/pki paths
        pointed at this PKI), the E2E directory (JWK Set file) and the OB directory (CA)."""
        from test_registration import readme_trust_block
        with open(os.path.join(self.pki, "ssa-signer.subject"), encoding="utf-8") as handle:
            signer = handle.read().strip()
        demo = readme_trust_block().replace("var/pki/", self.pki + "/")
        jwks_host = f"localhost:{self.jwks_host_port}"
        return [
            *[line for line in demo.splitlines() if line.strip()],
            f"    - issuer: {yaml_string(E2E_DIRECTORY)}",
            f"      jwks_file: {yaml_string(os.path.join(self.pki, 'e2e-directory.jwks'))}",
            f"      software_jwks_hosts: [{yaml_string(jwks_host)}]",
            "      required_claims: [software_id, iss, iat, jti, org_id]",
            "      max_age_seconds: 3600",
            f"    - issuer: {yaml_string(OB_DIRECTORY)}",
            f"      ca_file: {yaml_string(os.path.join(self.pki, 'client-ca.pem'))}",
            f"      statement_signers: [{yaml_string(signer)}]",
            "      policy:",
            "        initial_access_token: none",
            "        uniqueness: many",
            "        allowed_authentication_methods: [private_key_jwt, tls_client_auth]",
            "        force_certificate_bound_tokens: true",
            '        certificate_subject_binding: {CN: "{software_id}", OU: "{org_id}"}',
            f"    - issuer: {yaml_string(SANDBOX_DIRECTORY)}",
            f"      jwks_file: {yaml_string(os.path.join(self.pki, 'e2e-directory.jwks'))}",
            f"      transport_ca_file: {yaml_string(os.path.join(self.pki, 'server-ca.pem'))}",
            "      policy:",
            "        initial_access_token: none",
            '        certificate_subject_binding: {CN: "{software_id}", OU: "{org_id}"}',
        ]

    def write_config(self):
        """The responder's configuration, with exactly the keys of the contract."""
        text = "\n".join([
            "# Written by Tests/e2e (end-to-end tests); deleted with its folder.",
            f"issuer: {yaml_string(self.issuer)}",
            f"listen: {yaml_string('unix:' + self.socket_path)}",
            f"workers: {self.responder_workers}",
            f"max_body_bytes: {RESPONDER_MAX_BODY}",
            # The web servers' workers run as www-data; the test's socket is
            # open to all local users (a deployment uses 0660 and a shared group).
            'socket_mode: "0666"',
            "database:",
            f"  url: {yaml_string(self.database_url)}",
            "keys:",
            f"  encryption_key_file: {yaml_string(self.path('kek.b64'))}",
            "mtls:",
            f"  {MTLS_ALIAS_KEY}: {yaml_string(self.alias_issuer)}",
            f"  trusted_ca_file: {yaml_string(os.path.join(self.pki, 'client-ca.pem'))}",
            f"clock_skew_seconds: {RESPONDER_CLOCK_SKEW}",
            "tokens:",
            f"  resource_servers: [{yaml_string(RESOURCE_SERVER_CLIENT_ID)}]",
            # Client JWK Sets by URL come from one local HTTPS host (test_tokens.py starts
            # it), with a certificate of the demo server CA; 127.0.0.1 on the same port is
            # deliberately not listed.
            "jwks_fetch:",
            f"  allowed_hosts: [{yaml_string(f'localhost:{self.jwks_host_port}')}]",
            f"  ca_file: {yaml_string(os.path.join(self.pki, 'server-ca.pem'))}",
            f"  connect_timeout_seconds: {JWKS_FETCH_TIMEOUT}",
            f"  timeout_seconds: {JWKS_FETCH_TIMEOUT}",
            *self.registration_config(),
            "log_level: info",
            "",
        ])
        with open(self.config_file, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(self.config_file, 0o600)

    def child_env(self):
        env = dict(os.environ)
        # The configuration file decides; nothing from the caller's shell overrides it.
        for name in ("CREDENCE_DATABASE_URL", "CREDENCE_KEY_ENCRYPTION_KEY"):
            env.pop(name, None)
        return env

    def start_responder(self):
        self.responder_log_file = open(self.responder_log, "ab")
        command = [self.credence, "serve", "--config", self.config_file]
        self.log(f"e2e: starting {' '.join(command)}")
        self.responder = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self.responder_log_file,
            stderr=self.responder_log_file, env=self.child_env(), start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.responder.poll() is not None:
                raise SetupError(f"credence serve exited with {self.responder.returncode}:\n"
                                 + self.tail(self.responder_log))
            if os.path.exists(self.socket_path) and self.socket_accepts():
                return
            time.sleep(0.1)
        raise SetupError("credence serve did not open its socket within 30 s:\n" + self.tail(self.responder_log))

    def socket_accepts(self):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.socket_path)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def stop_responder(self):
        """SIGTERM, as systemd does; returns the exit status (None if it had to be killed)."""
        if self.responder is None or self.responder.poll() is not None:
            return None if self.responder is None else self.responder.returncode
        self.responder.send_signal(signal.SIGTERM)
        try:
            return self.responder.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.responder.kill()
            self.responder.wait(timeout=5)
            return None

    def start_webserver(self, name, port, mtls_port):
        rundir = self.path(name)
        script = os.path.join(REPO, "scripts", f"{name}.sh")
        command = ["bash", script, "start", rundir, "--tls-dir", self.pki,
                   "--socket", self.socket_path, "--port", str(port), "--mtls-port", str(mtls_port)]
        server = WebServer(name, f"https://localhost:{port}", f"https://localhost:{mtls_port}", rundir)
        self.started_servers.append((name, script, rundir))
        self.log(self.run_checked(command, f"{name}.sh start").strip())
        self.servers[name] = server

    def wait_healthy(self, server, timeout=30):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.curl.request(server.main_url + "/healthz", timeout=5)
                if last.status == 200:
                    return
            except CurlError as error:
                last = error
            time.sleep(0.3)
        raise SetupError(f"{server.name}: /healthz never answered 200 (last: {last})\n"
                         + self.tail(self.responder_log))

    # ---- extra processes (test_tokens.py) -----------------------------

    def start_private_nginx(self, name, http_block):
        """A second nginx (not the sample) in RUNDIR = the stack's NAME folder, one worker
        process, whose http { } block is HTTP_BLOCK; stopped by stop(). Returns RUNDIR."""
        rundir = self.path(name)
        os.makedirs(os.path.join(rundir, "logs"), exist_ok=True)
        os.makedirs(os.path.join(rundir, "tmp"), exist_ok=True)
        os.chmod(rundir, 0o755)
        conf = os.path.join(rundir, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as out:
            out.write("\n".join([
                "# Written by Tests/e2e; deleted with its folder.",
                "worker_processes 1;",
                "pid nginx.pid;",
                "error_log logs/error.log notice;",
                "events { worker_connections 256; }",
                "http {",
                "    access_log logs/access.log;",
                "    client_body_temp_path tmp/client_body;",
                "    fastcgi_temp_path tmp/fastcgi;",
                "    proxy_temp_path tmp/proxy;",
                "    scgi_temp_path tmp/scgi;",
                "    uwsgi_temp_path tmp/uwsgi;",
                http_block,
                "}",
                "",
            ]))
        command = ["nginx", "-p", rundir + "/", "-c", conf]
        if os.getuid() == 0:
            command += ["-g", "user www-data;" if _user_exists("www-data") else "user nobody;"]
        self.run_checked(command + ["-t", "-q"], f"nginx -t ({name})")
        self.run_checked(command, f"nginx ({name})")
        pid_file = os.path.join(rundir, "nginx.pid")

        def stop():
            try:
                with open(pid_file, encoding="ascii") as handle:
                    pid = int(handle.read().strip())
            except (OSError, ValueError):
                return
            try:
                os.kill(pid, signal.SIGQUIT)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and os.path.exists(pid_file):
                time.sleep(0.1)
            if os.path.exists(pid_file):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        self.cleanups.append((f"nginx ({name})", stop))
        return rundir

    def start_extra_responder(self, name, extra_issuers=()):
        """A second `credence serve` on the same database and keys, with the same
        configuration (plus EXTRA_ISSUERS, lines of registration.trusted_issuers entries)
        but its own socket (returned) and log (the stack's NAME.log)."""
        socket_path = self.path("run", f"{name}.sock")
        config = self.path(f"{name}.yaml")
        with open(self.config_file, encoding="utf-8") as handle:
            text = handle.read()
        if extra_issuers:
            # registration: is the last section before log_level (write_config).
            text = text.replace("\nlog_level: ", "\n" + "\n".join(extra_issuers) + "\nlog_level: ", 1)
        listen = f"listen: {yaml_string('unix:' + self.socket_path)}"
        if listen not in text:
            raise SetupError("the configuration has no listen line to replace")
        with open(config, "w", encoding="utf-8") as out:
            out.write(text.replace(listen, f"listen: {yaml_string('unix:' + socket_path)}"))
        os.chmod(config, 0o600)
        log = open(self.path(f"{name}.log"), "ab")
        self.extra_responders.append(name)
        process = subprocess.Popen([self.credence, "serve", "--config", config], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, env=self.child_env(), start_new_session=True)

        def stop():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            log.close()
        self.cleanups.append((f"credence serve ({name})", stop))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SetupError(f"credence serve ({name}) exited with {process.returncode}:\n"
                                 + self.tail(self.path(f"{name}.log")))
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(socket_path)
                return socket_path
            except OSError:
                time.sleep(0.1)
            finally:
                probe.close()
        raise SetupError(f"credence serve ({name}) did not open {socket_path} within 30 s")

    def run_cleanups(self):
        while self.cleanups:
            label, stop = self.cleanups.pop()
            try:
                stop()
            except Exception as error:  # noqa: BLE001 - teardown goes on
                self.log(f"e2e: stopping {label}: {error}")

    # ---- database ----------------------------------------------------

    def start_database_first_time(self):
        if self.external_database_url:
            return self.external_database_url
        if not os.path.exists(self.postgres_script):
            raise SetupError(f"no database: give --database-url, or provide {self.postgres_script}")
        self.postgres_dir = self.path("pg")
        self.own_cluster = True
        env = dict(os.environ, POSTGRES_CLUSTER_FAST="1")
        output = self.run_checked(["bash", self.postgres_script, "start", self.postgres_dir],
                                  "postgres-cluster.sh start", env=env)
        match = re.search(r"\bport=(\d+)", output)
        if not match:
            raise SetupError(f"postgres-cluster.sh printed no port: {output!r}")
        self.postgres_port = match.group(1)
        return f"postgresql://credence@127.0.0.1:{self.postgres_port}/credence"

    @property
    def can_stop_database(self):
        return self.postgres_dir is not None and os.path.exists(self.postgres_script)

    def stop_database(self):
        self.run_checked(["bash", self.postgres_script, "stop", self.postgres_dir], "postgres-cluster.sh stop")

    def start_database(self):
        command = ["bash", self.postgres_script, "start", self.postgres_dir]
        if self.postgres_port:
            command.append(self.postgres_port)
        self.run_checked(command, "postgres-cluster.sh start")
        self.database_started_at = time.monotonic()

    def wait_for_database_reconnects(self):
        """After start_database: until every responder worker will reconnect on its next
        call. A worker whose connection attempts failed during the outage answers 503 at
        once until its back-off (at most DATABASE_RECONNECT_BACKOFF s) has passed, so one
        /healthz 200 does not mean all workers are back."""
        if self.database_started_at is not None:
            remaining = self.database_started_at + DATABASE_RECONNECT_BACKOFF + 0.5 - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

    # ---- teardown ----------------------------------------------------

    def stop(self, failed=False):
        """Stops whatever was started, in reverse order; never raises."""
        self.run_cleanups()
        for name, script, rundir in reversed(self.started_servers):
            self.quietly(["bash", script, "stop", rundir])
        self.started_servers = []
        try:
            self.stop_responder()
        except Exception as error:  # noqa: BLE001 - teardown goes on
            self.log(f"e2e: stopping the responder: {error}")
        if self.responder_log_file:
            self.responder_log_file.close()
            self.responder_log_file = None
        if self.own_cluster and self.postgres_dir:
            self.quietly(["bash", self.postgres_script, "stop", self.postgres_dir])
        if self.dir is None:
            return
        if failed:
            self.dump_logs()
        if self.keep:
            self.log(f"e2e: kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def dump_logs(self):
        logs = [("responder", self.responder_log)]
        logs += [(f"credence serve ({name})", self.path(f"{name}.log")) for name in self.extra_responders]
        logs += [(f"{s.name} error.log", s.error_log()) for s in self.servers.values()]
        for label, path in logs:
            if os.path.exists(path):
                sys.stderr.write(f"---- last lines of {label} ({path}) ----\n{self.tail(path, 40)}\n")

    # ---- responder log -----------------------------------------------

    def log_offset(self):
        try:
            return os.path.getsize(self.responder_log)
        except OSError:
            return 0

    def access_lines(self, offset):
        with open(self.responder_log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
        return [parse_logfmt(line) for line in text.splitlines()
                if "logger=credence.access" in line]

    def log_events(self, offset):
        """Every logfmt line of the responder's log written after OFFSET, parsed."""
        with open(self.responder_log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
        return [parse_logfmt(line) for line in text.splitlines() if line.startswith("ts=")]

    def wait_for_log_line(self, offset, message, timeout):
        """The events after OFFSET once one has msg=MESSAGE (fails after TIMEOUT seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.log_events(offset)
            if any(e.get("msg") == message for e in events):
                return events
            if time.monotonic() > deadline:
                raise AssertionError(f"no msg={message!r} in {self.responder_log} after offset {offset}:\n"
                                     f"{self.tail(self.responder_log, 10)}")
            time.sleep(0.1)

    def access_line(self, offset, path, method="GET", timeout=5):
        """The one access line for METHOD PATH written after OFFSET (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [f for f in self.access_lines(offset)
                     if f.get("http.path") == path and f.get("http.method") == method]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise AssertionError(f"{len(found)} access lines for {method} {path}: {found}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no access line for {method} {path} in {self.responder_log} "
                                     f"after offset {offset}:\n{self.tail(self.responder_log, 10)}")
            time.sleep(0.05)

    # ---- helpers -----------------------------------------------------

    def run_credence(self, arguments, label):
        return self.run_checked([self.credence] + arguments, label, env=self.child_env())

    def run_checked(self, command, label, env=None):
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=300)
        if done.returncode != 0:
            raise SetupError(f"{label} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        if self.verbose and done.stderr.strip():
            self.log(done.stderr.rstrip())
        return done.stdout

    def quietly(self, command):
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except Exception as error:  # noqa: BLE001 - teardown goes on
            self.log(f"e2e: {' '.join(command)}: {error}")

    @staticmethod
    def tail(path, lines=20):
        try:
            with open(path, "rb") as handle:
                return "\n".join(handle.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError as error:
            return f"({error})"

    @staticmethod
    def log(message):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
