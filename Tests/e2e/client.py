"""HTTP through the curl binary, so that an independent client does TLS and mTLS.

Only the standard library; curl is run with subprocess, its response headers
and body captured in files.
"""

import base64
import hashlib
import json
import os
import re
import ssl
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Response:
    """One HTTP response as curl saw it."""

    status: int
    headers: dict  # lower-case name -> list of values
    body: bytes
    command: list = field(repr=False, default_factory=list)

    def header(self, name):
        """The single value of a header, or None; fails on a repeated header."""
        values = self.headers.get(name.lower(), [])
        if len(values) > 1:
            raise AssertionError(f"header {name} sent {len(values)} times: {values}")
        return values[0] if values else None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise AssertionError(f"body is not JSON ({error}): {self.body[:300]!r}") from None

    def media_type(self):
        value = self.header("content-type") or ""
        return value.split(";")[0].strip().lower()

    def describe(self):
        return f"HTTP {self.status} {self.headers} {self.body[:500]!r}"


class CurlError(Exception):
    """curl itself failed (connection refused, timeout, TLS failure)."""

    def __init__(self, code, stderr, command):
        super().__init__(f"curl exit {code}: {stderr.strip()} ({' '.join(command)})")
        self.code = code


class Curl:
    """Builds and runs curl commands against one trust anchor."""

    def __init__(self, ca_file, workdir):
        self.ca_file = ca_file
        self.workdir = workdir

    def request(self, url, method="GET", headers=(), body=None, chunked=False,
                cert=None, timeout=20):
        """Sends one request. body: bytes or None. cert: (cert_file, key_file) or None.

        Raises CurlError when no HTTP response came back.
        """
        fd, header_file = tempfile.mkstemp(dir=self.workdir, prefix="h-")
        os.close(fd)
        fd, body_file = tempfile.mkstemp(dir=self.workdir, prefix="b-")
        os.close(fd)
        request_file = None
        command = ["curl", "--silent", "--show-error", "--http1.1",
                   "--cacert", self.ca_file, "--max-time", str(timeout),
                   "--dump-header", header_file, "--output", body_file,
                   "--write-out", "%{http_code}"]
        # "--request HEAD" would make curl wait for the body Content-Length announces.
        command += ["--head"] if method == "HEAD" else ["--request", method]
        if cert is not None:
            command += ["--cert", cert[0], "--key", cert[1]]
        for header in headers:
            command += ["--header", header]
        if body is not None:
            fd, request_file = tempfile.mkstemp(dir=self.workdir, prefix="r-")
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            command += ["--data-binary", "@" + request_file]
            if chunked:
                command += ["--header", "Transfer-Encoding: chunked"]
            # No "Expect: 100-continue" round trip: send the body at once.
            command += ["--header", "Expect:"]
        command.append(url)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 10)
            if done.returncode != 0:
                raise CurlError(done.returncode, done.stderr, command)
            with open(header_file, "rb") as handle:
                raw_headers = handle.read().decode("latin-1")
            with open(body_file, "rb") as handle:
                payload = handle.read()
        finally:
            for name in (header_file, body_file, request_file):
                if name:
                    try:
                        os.unlink(name)
                    except FileNotFoundError:
                        pass
        return Response(int(done.stdout.strip() or 0), parse_headers(raw_headers), payload, command)


    def statuses(self, urls, timeout=10, total=60):
        """GETs several URLs over one kept-alive connection (one curl process);
        the status of each, 0 for a transfer that failed or timed out. Each
        transfer gets `timeout` seconds, all of them `total`."""
        command = ["curl", "--silent", "--http1.1", "--cacert", self.ca_file,
                   "--max-time", str(timeout), "--write-out", "%{http_code}\n"]
        for url in urls:
            command += ["--output", "/dev/null", url]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, text=True) as process:
            try:
                output, _ = process.communicate(timeout=total)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
        codes = [int(line) for line in output.split() if line.isdigit()]
        return codes + [0] * (len(urls) - len(codes))


    def slow_upload(self, url, body, rate):
        """Starts (and returns) a curl that POSTs BODY at RATE bytes/s; the caller kills it."""
        fd, request_file = tempfile.mkstemp(dir=self.workdir, prefix="slow-")
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        command = ["curl", "--silent", "--http1.1", "--cacert", self.ca_file, "--max-time", "60",
                   "--limit-rate", str(rate), "--output", "/dev/null", "--header", "Expect:",
                   "--header", "Content-Type: application/x-www-form-urlencoded",
                   "--data-binary", "@" + request_file, url]
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)


def parse_headers(raw):
    """Headers of the last response in curl's --dump-header output (skips 100 Continue)."""
    blocks = [b for b in re.split(r"\r?\n\r?\n", raw) if b.strip()]
    if not blocks:
        return {}
    headers = {}
    for line in blocks[-1].splitlines()[1:]:
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


def certificate_thumbprint(pem_file):
    """x5t#S256 of a PEM certificate: base64url (no padding) of SHA-256 over its DER (RFC 8705 §3.1)."""
    with open(pem_file, encoding="ascii") as handle:
        der = ssl.PEM_cert_to_DER_cert(handle.read())
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode("ascii")


def url_encoded_pem(pem_file):
    """The certificate as nginx's $ssl_client_escaped_cert writes it."""
    with open(pem_file, encoding="ascii") as handle:
        return urllib.parse.quote(handle.read(), safe="")


def der_base64(pem_file):
    with open(pem_file, encoding="ascii") as handle:
        return base64.b64encode(ssl.PEM_cert_to_DER_cert(handle.read())).decode("ascii")


_LOGFMT = re.compile(r'([A-Za-z0-9_.#-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line):
    """key=value pairs of one logfmt line; quoted values unescaped."""
    fields = {}
    for key, value in _LOGFMT.findall(line):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = value[1:-1]
        fields[key] = value
    return fields
