"""End-to-end: the seed document's key handling without a hand-made JWK Set (issue 11).

The seed's operator holds the directory's signing certificate as PKCS#12, extracts its key
with a script, signs statements by hand and converts the public key with an online tool.
Here every key form openssl makes (PKCS#8 PEM and DER, PKCS#1, SEC1, encrypted PKCS#8,
PKCS#12) is converted with `credence jwks convert` into the JWK Set of a trusted issuer,
each signs a statement with `credence ssa sign`, and each statement registers through nginx;
an issuer trusted by its signing certificates (`signer_certificates`, PEM and DER) registers
too; and a signer certificate that expires while the responder runs is refused at
registration (rule `signer_certificate`, in the audit trail) and at load (`check-config`).

A second responder with these issuers added (stack.start_extra_responder) serves them behind
a copy of the shipped nginx sample; the README's demo directory, trusted by its certificate
the same way, is registered by test_registration's README test.
"""

import base64
import json
import os
import subprocess
import time

from cli import make_certificate, utc
from test_registration import REDIRECT_URI, RegistrationTestCase
from test_tokens import sample_nginx

FORMS_DIRECTORY = "E2E Key Forms Directory"
CERTIFICATE_DIRECTORY = "E2E Certificate Directory"
EX_CONFIG = 78
EXPIRING_DIRECTORY = "E2E Expiring Directory"
PASSWORD = "e2e seed password"
# Seconds from its creation until the expiring signer certificate's notAfter: long enough for
# the extra responder and nginx to start and one registration to pass on a busy machine.
EXPIRING_AFTER = 40


def header_of(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


class SeedKeyFormTests(RegistrationTestCase):
    server_name = "nginx"

    def openssl(self, *arguments):
        subprocess.run(["openssl", *arguments], capture_output=True, check=True)

    def credence(self, *arguments, check=True):
        env = dict(self.stack.child_env(), E2E_SEED_PASSWORD=PASSWORD)
        env.pop("CREDENCE_CONFIG", None)
        done = subprocess.run([self.stack.credence, *arguments], capture_output=True, text=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=60)
        if check:
            self.assertEqual(done.returncode, 0, f"credence {' '.join(arguments)}: {done.stderr}")
        return done

    def make_files(self, work, expires_at):
        """One key per form (openssl), the PKCS#12 signer, the certificates, the expiring one."""
        path = lambda name: os.path.join(work, name)  # noqa: E731
        with open(path("password.txt"), "w", encoding="utf-8") as out:
            out.write(PASSWORD + "\n")
        rsa = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        ec = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        self.openssl(*rsa, "-out", path("pkcs8.pem"))
        self.openssl(*ec, "-out", path("ec-pkcs8.pem"))
        self.openssl("genrsa", "-traditional", "-out", path("pkcs1.pem"), "2048")
        self.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("sec1.pem"))
        self.openssl(*rsa, "-outform", "DER", "-out", path("pkcs8.der"))
        self.openssl(*ec, "-out", path("plain-for-encrypted.pem"))
        self.openssl("pkey", "-in", path("plain-for-encrypted.pem"), "-aes256", "-passout", f"pass:{PASSWORD}",
                     "-out", path("encrypted.pem"))
        # The seed's signing certificate: RSA, keyUsage digitalSignature, in PKCS#12 with its CA.
        self.openssl(*rsa, "-out", path("signer.key"))
        self.openssl("req", "-x509", "-new", "-key", path("signer.key"), "-subj", "/CN=E2E Seed SSA Signer",
                     "-days", "2", "-CA", os.path.join(self.stack.pki, "client-ca.pem"),
                     "-CAkey", os.path.join(self.stack.pki, "client-ca.key"),
                     "-addext", "keyUsage=critical,digitalSignature", "-out", path("signer.pem"))
        self.openssl("pkcs12", "-export", "-inkey", path("signer.key"), "-in", path("signer.pem"),
                     "-certfile", os.path.join(self.stack.pki, "client-ca.pem"),
                     "-passout", f"file:{path('password.txt')}", "-out", path("signer.p12"))
        # The certificate-trusted directory: a PEM certificate (kid: thumbprint) and a DER one.
        for name in ("cert-pem", "cert-der"):
            self.openssl(*ec, "-out", path(f"{name}.key"))
            self.openssl("req", "-x509", "-new", "-key", path(f"{name}.key"), "-subj", f"/CN=E2E {name}",
                         "-days", "2", "-addext", "keyUsage=critical,digitalSignature", "-out", path(f"{name}.pem"))
        self.openssl("x509", "-in", path("cert-der.pem"), "-outform", "DER", "-out", path("cert-der.der"))
        self.openssl(*ec, "-out", path("expiring.key"))
        return make_certificate(work, "expiring", path("expiring.key"), utc(-3600), utc(expires_at - time.time()))

    def sign(self, key, iss, software_id, *options):
        tpp = self.registration.public_set("inline")
        return self.credence(
            "ssa", "sign", "--key", key, *options, "--claim", f"iss={iss}", "--claim", f"software_id={software_id}",
            "--claim", "org_id=e2e-org", "--claim", "org_status=Active",
            "--claim", f"software_client_name=E2E {software_id}", "--claim", 'software_roles=["AISP"]',
            "--claim", "software_redirect_uris=" + json.dumps([REDIRECT_URI]),
            "--claim", "software_jwks=" + json.dumps(tpp)).stdout.strip()

    def register_at(self, base, statement, token):
        body = json.dumps({"software_statement": statement, "token_endpoint_auth_method": "private_key_jwt",
                           "token_endpoint_auth_signing_alg": "ES256"}).encode()
        return self.stack.curl.request(base + "/register", method="POST", body=body,
                                       headers=["Content-Type: application/json", f"Authorization: Bearer {token}"])

    def test_key_forms_signer_certificates_and_an_expiring_signer(self):
        work = self.stack.path("seed-keys")
        os.makedirs(work, exist_ok=True)
        path = lambda name: os.path.join(work, name)  # noqa: E731
        expires_at = int(time.time()) + EXPIRING_AFTER
        expiring = self.make_files(work, expires_at)
        password_file = ["--password-file", path("password.txt")]
        forms = {  # file -> password options (the same for convert and sign)
            "pkcs8.pem": [], "ec-pkcs8.pem": [], "pkcs1.pem": [], "sec1.pem": [], "pkcs8.der": [],
            "encrypted.pem": ["--password-env", "E2E_SEED_PASSWORD"], "signer.p12": password_file,
        }
        # jwks convert takes one password source for all its files: the encrypted ones apart.
        plain = [path(name) for name, options in forms.items() if not options]
        keys = json.loads(self.credence("jwks", "convert", *plain).stdout)["keys"]
        keys += json.loads(self.credence("jwks", "convert", "--password-env", "E2E_SEED_PASSWORD",
                                         path("encrypted.pem")).stdout)["keys"]
        keys += json.loads(self.credence("jwks", "convert", "--x5c", *password_file, path("signer.p12")).stdout)["keys"]
        self.assertEqual(len(keys), len(forms))
        for key in keys:
            self.assertFalse({"d", "p", "q", "dp", "dq", "qi"} & set(key), key)
        with open(path("forms.jwks"), "w", encoding="utf-8") as out:
            json.dump({"keys": keys}, out)

        socket_path = self.stack.start_extra_responder("responder-seed-keys", extra_issuers=[
            f"    - issuer: {json.dumps(FORMS_DIRECTORY)}",
            f"      jwks_file: {json.dumps(path('forms.jwks'))}",
            f"    - issuer: {json.dumps(CERTIFICATE_DIRECTORY)}",
            f"      signer_certificates: [{json.dumps(path('cert-pem.pem'))},",
            f"                            {{file: {json.dumps(path('cert-der.der'))}, kid: cert-der}}]",
            f"    - issuer: {json.dumps(EXPIRING_DIRECTORY)}",
            f"      signer_certificates: [{json.dumps(expiring)}]",
        ])
        base, _ = sample_nginx(self, "nginx-seed-keys", [socket_path])
        token = self.initial_access_token()

        # While the expiring certificate is valid, its key's statements register.
        software_id = self.software_id()
        response = self.register_at(base, self.sign(path("expiring.key"), EXPIRING_DIRECTORY, software_id), token)
        self.assert_registered(response, software_id, "private_key_jwt")

        # Each key form: signed by `ssa sign` (kid: the thumbprint `jwks convert` gave), registered.
        thumbprints = {key["kid"] for key in keys}
        for name, options in forms.items():
            with self.subTest(form=name):
                software_id = self.software_id()
                statement = self.sign(path(name), FORMS_DIRECTORY, software_id, *options)
                self.assertIn(header_of(statement)["kid"], thumbprints)
                self.assert_registered(self.register_at(base, statement, token), software_id, "private_key_jwt")

        # The certificate-trusted directory: a PEM certificate by thumbprint, a DER one by its kid.
        for key, options in (("cert-pem.key", []), ("cert-der.key", ["--kid", "cert-der"])):
            with self.subTest(certificate=key):
                software_id = self.software_id()
                statement = self.sign(path(key), CERTIFICATE_DIRECTORY, software_id, *options)
                self.assert_registered(self.register_at(base, statement, token), software_id, "private_key_jwt")
        # Another key under the certificate's kid does not verify.
        rogue = self.sign(path("pkcs8.pem"), CERTIFICATE_DIRECTORY, self.software_id(), "--alg", "PS256",
                          "--kid", "cert-der")
        self.assert_oauth_error(self.register_at(base, rogue, token), 400, "invalid_software_statement")

        # Once the certificate has expired, a fresh statement signed by its key is refused.
        wait = expires_at + 2 - time.time()
        if wait > 0:
            time.sleep(wait)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        software_id = self.software_id()
        response = self.register_at(base, self.sign(path("expiring.key"), EXPIRING_DIRECTORY, software_id), token)
        document = self.assert_oauth_error(response, 400, "invalid_software_statement")
        self.assertTrue(document.get("error_description", "").startswith("signer_certificate: "), document)
        events = json.loads(self.stack.run_credence(["audit", "list", "--json", "--since", since, "--config",
                                                     self.stack.config_file], "credence audit list"))
        # The statement never verified, so the event has no software_id: the rule names it.
        refused = [e for e in events if e["details"].get("rule") == "signer_certificate"]
        self.assertEqual(len(refused), 1, events)
        self.assertEqual(refused[0]["event_type"], "registration.refused", refused[0])
        self.assertEqual(refused[0]["details"].get("error"), "invalid_software_statement", refused[0])

        # And at load: check-config refuses it, naming the issuer, the file and the reason (serve
        # would start, warn and refuse its statements: an expired directory signer must not stop
        # the token endpoint).
        with open(self.stack.path("responder-seed-keys.yaml"), encoding="utf-8") as handle:
            config = handle.read()
        config_path = path("expired.yaml")
        with open(config_path, "w", encoding="utf-8") as out:
            out.write(config)
        done = self.credence("check-config", "--config", config_path, check=False)
        self.assertEqual(done.returncode, EX_CONFIG, done.stdout + done.stderr)
        self.assertIn(f"[issuer {EXPIRING_DIRECTORY}]", done.stderr)
        self.assertIn(expiring, done.stderr)
        self.assertIn("expired at", done.stderr)
        self.assertEqual(done.stdout, "")


ORDERED_CASES = [SeedKeyFormTests]
