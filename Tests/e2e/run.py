#!/usr/bin/env python3
"""End-to-end tests of Credence behind real nginx and real Apache.

    Tests/e2e/run.py --credence .build/debug/credence [--database-url URL] [options]

Creates a temp dir, generates the demo PKI (scripts/pki.sh), starts a
throwaway PostgreSQL cluster (scripts/postgres-cluster.sh) unless a database
URL is given, writes the responder's configuration, runs `credence migrate`,
`credence keys generate --alg ES256` and `credence keys rotate`, starts
`credence serve` with 4 workers, nginx and Apache (scripts/nginx.sh,
scripts/apache.sh, on free ports), runs the tests through both web servers
with curl, and tears everything down, also on failure or Ctrl-C.

Environment instead of options: CREDENCE_BIN (the binary),
CREDENCE_E2E_DATABASE_URL (a libpq URL or conninfo), CREDENCE_E2E_POSTGRES_DIR.

Needs curl, openssl, nginx and apache2 on the PATH and Python joserfc (the token
tests' independent JOSE implementation; scripts/install-deps.sh installs it).
Exit status: 0 all passed, 1 a test failed, 2 the stack could not start.
"""

import argparse
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from stack import REPO, SetupError, Stack  # noqa: E402
import test_registration  # noqa: E402
import test_seed_keys  # noqa: E402
import test_tokens  # noqa: E402
import test_webservers  # noqa: E402


def default_binary():
    for candidate in (".build/debug/credence", ".build/release/credence"):
        path = os.path.join(REPO, candidate)
        if os.access(path, os.X_OK):
            return path
    return None


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--credence", default=os.environ.get("CREDENCE_BIN") or default_binary(),
                        help="the credence binary (default: $CREDENCE_BIN, else .build/debug/credence)")
    parser.add_argument("--database-url", default=os.environ.get("CREDENCE_E2E_DATABASE_URL"),
                        help="use this database instead of a throwaway cluster")
    parser.add_argument("--postgres-dir", default=os.environ.get("CREDENCE_E2E_POSTGRES_DIR"),
                        help="with --database-url: the postgres-cluster.sh DIR behind it, so that "
                             "the outage test can stop and start it (else that test is skipped)")
    parser.add_argument("--postgres-script", default=None,
                        help="the cluster script (default: scripts/postgres-cluster.sh)")
    parser.add_argument("--webserver", choices=("nginx", "apache", "both"), default="both")
    parser.add_argument("-k", dest="patterns", action="append", default=[],
                        help="only tests whose name contains this text (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, configs)")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def ordered_cases():
    """test_webservers' per-server cases, the token and registration tests, the disruptive
    cases, then the tests that need time to have passed (expired tokens)."""
    cases = list(test_webservers.ORDERED_CASES)
    position = cases.index(test_webservers.ApacheTests) + 1
    return (cases[:position] + test_tokens.ORDERED_CASES + test_registration.ORDERED_CASES
            + test_seed_keys.ORDERED_CASES + cases[position:]
            + test_registration.LAST_CASES + test_tokens.LAST_CASES)


def build_suite(patterns):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in ordered_cases():
        for test in loader.loadTestsFromTestCase(case):
            name = test.id()
            if not patterns or any(p in name for p in patterns):
                suite.addTest(test)
    return suite


def main(argv):
    arguments = parse_arguments(argv)
    if not arguments.credence:
        print("run.py: no credence binary: build it (swift build) or pass --credence PATH", file=sys.stderr)
        return 2
    webservers = ("nginx", "apache") if arguments.webserver == "both" else (arguments.webserver,)
    stack = Stack(arguments.credence, database_url=arguments.database_url,
                  postgres_dir=arguments.postgres_dir, postgres_script=arguments.postgres_script,
                  webservers=webservers, keep=arguments.keep, verbose=arguments.verbose)

    # SIGTERM (CI timeouts, kill) tears down like Ctrl-C does.
    def terminate(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)

    failed = True
    summary = "e2e: 0 passed, 1 failed (interrupted)"
    try:
        try:
            stack.start()
        except SetupError as error:
            print(f"e2e: setup failed: {error}", file=sys.stderr)
            summary = "e2e: 0 passed, 1 failed (setup)"
            return 2
        test_webservers.StackTestCase.stack = stack
        suite = build_suite(arguments.patterns)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
        # Per test, not per subtest; class-level skips (a web server not
        # started) are not tests.
        def test_id(test):
            return getattr(test, "test_case", test).id()
        failed_ids = {test_id(t) for t, _ in result.failures + result.errors}
        failed_ids |= {test_id(t) for t in result.unexpectedSuccesses}
        skipped_ids = {test_id(t) for t, _ in result.skipped
                       if isinstance(getattr(t, "test_case", t), unittest.TestCase)} - failed_ids
        bad, skipped = len(failed_ids), len(skipped_ids)
        passed = result.testsRun - bad - skipped - len(result.expectedFailures)
        failed = bad > 0 or result.testsRun == 0
        summary = f"e2e: {passed} passed, {bad} failed, {skipped} skipped"
        return 1 if failed else 0
    except KeyboardInterrupt as interruption:
        print(f"e2e: interrupted ({interruption}); tearing down", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop(failed=failed)
        # Last, after any log dump: the line CI reads.
        sys.stderr.flush()
        print(summary, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
