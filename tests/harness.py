"""tests/harness.py: a whole Printyard on this machine for the API and browser tests.

One `Printyard` is a throwaway PostgreSQL cluster (scripts/pg, fsync off), the
migrations, a config file, `printyard serve` (2 workers on a unix socket) and
`printyard jobs`, and nginx (the repository's own templates) on a free loopback port.
Everything lives in one run directory; stop() ends every process it started.

The conftests in tests/api and tests/browser import the fixtures and hooks below.
The binary is $PRINTYARD_BIN (default build/src/printyard); templates, migrations,
static files and docs/openapi.yaml come straight from the repository.

Sanitizers: the services run with ASAN_OPTIONS/UBSAN_OPTIONS that write reports into
<run dir>/sanitizer/. At the end of the session one extra result,
`harness.py::no_sanitizer_reports`, fails if any report appeared (leaks found when
the processes exit included), and `harness.py::services_stopped_cleanly` fails if a
service died during the run or did not exit 0 when stopped.
"""
import atexit
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
PG_SCRIPT = ROOT / "scripts" / "pg"
RENDER_NGINX = ROOT / "scripts" / "render-nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

OWNER_PASSWORD = "owner-password-for-tests"

# Limits nginx applies in test runs; production values are in nginx/printyard.conf.in.
# Tests log in often, from one address; a test that wants nginx's 429 sends more
# than `burst` requests at once (from its own 127.0.0.x address, see `session_from`).
TEST_LIMITS = {"login_rate": "10r/s", "login_burst": 50,
               "public_rate": "20r/s", "public_burst": 100}

_running = []   # every Printyard started and not yet stopped
_finished = []  # stopped ones whose results the session has not reported yet


def default_bin():
    b = os.environ.get("PRINTYARD_BIN")
    if not b:
        return ROOT / "build" / "src" / "printyard"
    p = Path(b)
    return p if p.is_absolute() else ROOT / p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In the child before exec: get SIGTERM if the test process dies first."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no %s)" % path


class Service:
    """A long-running child in its own process group, output into a log file."""

    def __init__(self, name, argv, env, log, stop_signal=signal.SIGTERM):
        self.name, self.argv, self.log = name, argv, Path(log)
        self.stop_signal = stop_signal
        self.exit_code = None
        self.died_early = False
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True,
                                         preexec_fn=_die_with_parent)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is not None:
            self.died_early = self.exit_code is None
        else:
            try:
                self.proc.send_signal(self.stop_signal)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.exit_code is None:
            self.exit_code = self.proc.returncode
        # whatever the process left behind in its group (workers) goes too
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return self.exit_code


class ApiSession(requests.Session):
    """requests.Session that takes paths ("/api/v1/health") relative to base_url.

    The fixture `api` keeps no cookies, so each request is authenticated only by
    what it sends; `api.session()` returns one that keeps cookies, like a browser.
    """

    def __init__(self, base_url, cookies=False, timeout=30):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.default_timeout = timeout
        if not cookies:
            self.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)

    def session(self):
        return ApiSession(self.base_url, cookies=True, timeout=self.default_timeout)

    def with_token(self, token):
        s = ApiSession(self.base_url, timeout=self.default_timeout)
        s.headers["Authorization"] = "Bearer " + token
        return s


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, address):
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(base_url, address):
    """An ApiSession whose connections come from another loopback address
    (127.0.0.2 …), so nginx's per-address limits start from zero for it."""
    s = ApiSession(base_url)
    s.mount("http://", _SourceAddressAdapter(address))
    return s


class Printyard:
    """A running Printyard: PostgreSQL, migrate, serve, jobs, nginx."""

    def __init__(self, run_dir=None, bin=None, workers=2, limits=None, extra=None):
        self.bin = Path(bin or default_bin())
        if run_dir:
            # a directory named by the caller: start from scratch in it
            self.run_dir = Path(run_dir).resolve()
            self.run_dir.mkdir(parents=True, exist_ok=True)
            for name in ("pg", "log", "sanitizer", "nginx", "files"):
                old = self.run_dir / name
                if old.is_symlink():
                    old.unlink()
                elif old.exists():
                    shutil.rmtree(old)
            self.own_run_dir = False
        else:
            self.run_dir = Path(tempfile.mkdtemp(prefix="printyard-test-"))
            self.own_run_dir = True
        # PostgreSQL runs as `postgres` when we are root: it must reach its directory.
        os.chmod(self.run_dir, 0o755)
        self.workers = workers
        self.limits = dict(TEST_LIMITS, **(limits or {}))
        # further config keys (smtp_url = …) written after, and over, the usual ones
        self.extra = dict(extra or {})
        self.pg_dir = self.run_dir / "pg"
        self.log_dir = self.run_dir / "log"
        self.sanitizer_dir = self.run_dir / "sanitizer"
        self.nginx_dir = self.run_dir / "nginx"
        self.files_dir = self.run_dir / "files"
        for d in (self.log_dir, self.sanitizer_dir, self.nginx_dir, self.files_dir):
            d.mkdir(exist_ok=True)
        self.socket = self.run_dir / "printyard.sock"
        self._socket_dir = None
        if len(str(self.socket)) > 100:  # a unix socket path has 107 bytes at most
            self._socket_dir = Path(tempfile.mkdtemp(prefix="printyard-sock-"))
            self.socket = self._socket_dir / "printyard.sock"
        self.config = self.run_dir / "printyard.conf"
        self.secret_file = self.run_dir / "secret.key"
        self.sql_dir = ROOT / "sql"
        self.template_dir = ROOT / "templates"
        self.static_dir = ROOT / "static"
        self.openapi_file = ROOT / "docs" / "openapi.yaml"
        self.body_max = 1048576
        self.port = None
        self.base_url = None
        self.conninfo = None
        self.serve = self.jobs = self.nginx = None
        self.env = self._environment()

    # ---- environment and configuration ----

    def _environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTYARD_")}
        san = self.sanitizer_dir
        asan = "log_path=%s/asan:detect_leaks=1:abort_on_error=0:strip_path_prefix=%s/" % (san, ROOT)
        ubsan = "log_path=%s/ubsan:print_stacktrace=1:halt_on_error=1" % san
        env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), asan]))
        env["UBSAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("UBSAN_OPTIONS"), ubsan]))
        env["TZ"] = "UTC"
        return env

    def _write_config(self):
        lines = {
            "database_url": self.conninfo,
            "listen": "unix:%s" % self.socket,
            "workers": self.workers,
            "secret_file": self.secret_file,
            "template_dir": self.template_dir,
            "sql_dir": self.sql_dir,
            "openapi_file": self.openapi_file,
            "file_store": self.files_dir,
            # scripts/deps unpacks them (scripts/cura-definitions)
            "cura_definitions": ROOT / "var" / "cura",
            "nchan_publish_url": "http://127.0.0.1:%d/_live/pub" % self.port,
            "public_url": self.base_url,
            "log_level": "info",
            "timezone": "Europe/Berlin",
            "body_max": self.body_max,
        }
        lines.update(self.extra)
        self.config.write_text("# Written by tests/harness.py for one test session.\n" +
                               "".join("%s = %s\n" % kv for kv in lines.items()))

    # ---- lifecycle ----

    def start(self, timeout=90):
        if not self.bin.exists():
            raise RuntimeError("no Printyard binary at %s: build it (scripts/check does) "
                               "or set PRINTYARD_BIN" % self.bin)
        _running.append(self)
        self.port = free_port()
        self.base_url = "http://127.0.0.1:%d" % self.port
        self.conninfo = self._pg("up", "--test").strip().splitlines()[-1]
        self._write_config()
        self.run(["migrate"], timeout=120)
        # nginx first, so that the services' first live updates reach it
        render = [str(RENDER_NGINX), str(self.nginx_dir), "--port", str(self.port),
                  "--socket", str(self.socket), "--static", str(self.static_dir),
                  "--files", str(self.files_dir)]
        for k, v in self.limits.items():
            render += ["--" + k.replace("_", "-"), str(v)]
        subprocess.run(render, check=True)
        conf = str(self.nginx_dir / "nginx.conf")
        self.nginx = Service("nginx", [NGINX, "-p", str(self.nginx_dir), "-c", conf],
                             self.env, self.log_dir / "nginx.log")
        self.serve = Service("serve", [str(self.bin), "--config", str(self.config), "serve"],
                             self.env, self.log_dir / "serve.log")
        self.jobs = Service("jobs", [str(self.bin), "--config", str(self.config), "jobs"],
                            self.env, self.log_dir / "jobs.log")
        self._wait_healthy(timeout)
        return self

    def restart_jobs(self):
        """A new jobs worker in the place of one a test killed."""
        self.jobs = Service("jobs", [str(self.bin), "--config", str(self.config), "jobs"],
                            self.env, self.log_dir / "jobs.log")

    def _wait_healthy(self, timeout, settle=15):
        """Until GET /api/v1/health answers 200, and then (for up to `settle`
        seconds more) until every check in it says ok: the jobs worker's first
        heartbeat comes a moment after serve answers. Each worker caches its
        health answer for a second, so the other workers' caches get time to
        catch up after the first answer that is all ok."""
        deadline = time.time() + timeout
        settled = None
        last = None
        while time.time() < deadline:
            for s in (self.serve, self.jobs, self.nginx):
                if not s.alive():
                    raise RuntimeError("%s exited with %s while starting:\n%s\n%s" % (
                        s.name, s.proc.returncode, tail(s.log), self._nginx_errors()))
            try:
                r = requests.get(self.base_url + "/api/v1/health", timeout=5)
                last = "%d %s" % (r.status_code, r.text[:300])
                if r.status_code == 200:
                    settled = settled or time.time() + settle
                    try:
                        checks = r.json().get("checks", {}).values()
                        if all(c.get("status") == "ok" for c in checks):
                            time.sleep(1.5)
                            return
                    except (ValueError, AttributeError):
                        return
                    if time.time() > settled:
                        return
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.1)
        raise RuntimeError("GET /api/v1/health did not answer 200 within %ds (last: %s)\n"
                           "serve.log:\n%s\njobs.log:\n%s\n%s" % (
                               timeout, last, tail(self.serve.log), tail(self.jobs.log),
                               self._nginx_errors()))

    def _nginx_errors(self):
        return "nginx-error.log:\n" + tail(self.nginx_dir / "nginx-error.log", 10)

    def stop(self):
        """Stop everything (idempotent); returns {service: exit code}."""
        if self not in _running:
            return getattr(self, "exit_codes", {})
        codes = {}
        for s in (self.jobs, self.serve, self.nginx):
            if s is not None:
                codes[s.name] = s.stop()
                if s.died_early:
                    codes[s.name + " (died during the run)"] = s.exit_code
        try:
            self._pg("stop", "fast")
        except Exception:
            try:
                self._pg("stop", "immediate")
            except Exception:
                pass
        self.exit_codes = codes
        self._drop_pg_data()
        if self._socket_dir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        _running.remove(self)
        _finished.append(self)
        return codes

    def _drop_pg_data(self):
        """The cluster is throwaway: keep its log, free its disk space."""
        data = self.pg_dir.resolve()
        try:
            shutil.copy(data / "postgresql.log", self.log_dir / "postgresql.log")
        except OSError:
            pass
        if self.pg_dir.is_symlink():
            self.pg_dir.unlink()
        shutil.rmtree(data, ignore_errors=True)

    def cleanup(self):
        """Remove the run directory if the harness made it."""
        if self.own_run_dir and self not in _running:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    # ---- helpers for tests ----

    def _pg(self, *args):
        r = subprocess.run([str(PG_SCRIPT), args[0], str(self.pg_dir), *args[1:]],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("scripts/pg %s failed:\n%s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def pg_stop(self):
        """Stop PostgreSQL (fast); the services keep running."""
        self._pg("stop", "fast")

    def pg_start(self):
        self._pg("start")

    @property
    def serve_pid(self):
        return self.serve.pid

    def worker_pids(self):
        """Pids of the live children of the `serve` master, from /proc."""
        pids = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...; comm may hold spaces and parentheses
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == self.serve.pid and fields[0] != "Z":
                pids.append(int(d.name))
        return sorted(pids)

    def run(self, args, input=None, check=True, env=None, timeout=60):
        """Run `printyard --config <test config> ARGS...`; returns CompletedProcess (text)."""
        e = dict(self.env, **(env or {}))
        r = subprocess.run([str(self.bin), "--config", str(self.config), *map(str, args)],
                           input=input, env=e, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("printyard %s exited %d:\nstdout:\n%s\nstderr:\n%s" % (
                " ".join(map(str, args)), r.returncode, r.stdout, r.stderr))
        return r

    def psql(self, sql, params=None):
        """Run one statement as the database superuser; rows for a query, else []."""
        import psycopg2
        conn = psycopg2.connect(self.conninfo)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def secret_key(self):
        """The bytes of the secret file `serve` created."""
        return self.secret_file.read_bytes()

    def add_user(self, name, role, password):
        self.run(["user", "add", name, "--role", role, "--password-stdin"], input=password + "\n")

    def login(self, name, password):
        r = requests.post(self.base_url + "/api/v1/auth/login",
                          json={"username": name, "password": password}, timeout=30)
        if r.status_code != 200:
            raise RuntimeError("login as %s: %d %s" % (name, r.status_code, r.text[:300]))
        return r.json()["token"]

    def sanitizer_reports(self):
        return sorted(p for p in self.sanitizer_dir.iterdir() if p.is_file())


def _stop_all():
    for p in list(_running):
        p.stop()


atexit.register(_stop_all)


# ---- fixtures (imported by tests/api/conftest.py and tests/browser/conftest.py) ----

@pytest.fixture(scope="session")
def server(request):
    """The running Printyard for this test session."""
    # Turn SIGTERM (a CI timeout, say) into KeyboardInterrupt so teardown runs.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def on_term(signum, frame):
            raise KeyboardInterrupt("SIGTERM")
        signal.signal(signal.SIGTERM, on_term)
    p = Printyard(run_dir=os.environ.get("PRINTYARD_TEST_RUN_DIR"))
    try:
        p.start()
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="session")
def base_url(server):
    return server.base_url


@pytest.fixture
def api(server):
    """An ApiSession on base_url that keeps no cookies."""
    s = ApiSession(server.base_url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def owner_token(server):
    """JWT of the user `owner` (role owner), created once per session."""
    server.add_user("owner", "owner", OWNER_PASSWORD)
    return server.login("owner", OWNER_PASSWORD)


@pytest.fixture(scope="session")
def make_user(server):
    """make_user(role) -> (username, password, token) for a new user of that role."""
    count = [0]

    def make(role):
        count[0] += 1
        name = "%s%d" % (role, count[0])
        password = secrets.token_urlsafe(12)
        server.add_user(name, role, password)
        return name, password, server.login(name, password)
    return make


# ---- session end: the harness's own results ----

def _report(session, name, failure):
    from _pytest.reports import TestReport
    rep = TestReport(nodeid="harness.py::" + name, location=("harness.py", 0, name),
                     keywords={name: 1}, outcome="failed" if failure else "passed",
                     longrepr=failure or None, when="call")
    session.config.hook.pytest_runtest_logreport(report=rep)
    if failure:
        session.testsfailed += 1
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session, exitstatus):
    """Stop what is still running, then report sanitizer findings and exit codes."""
    _stop_all()
    while _finished:
        p = _finished.pop(0)
        reports = p.sanitizer_reports()
        if reports:
            # the first few in full (they are often the same bug), the rest by name
            text = "\n\n".join("== %s\n%s" % (r, r.read_text(errors="replace")[:8000])
                               for r in reports[:3])
            _report(session, "no_sanitizer_reports",
                    "%d sanitizer report(s) in %s:\n%s\n\n%s" % (
                        len(reports), p.sanitizer_dir, "\n".join(map(str, reports)), text))
        else:
            _report(session, "no_sanitizer_reports", None)
        bad = {k: v for k, v in p.exit_codes.items() if v != 0 or "died" in k}
        if bad:
            logs = "\n".join("%s.log:\n%s" % (n, tail(p.log_dir / ("%s.log" % n)))
                             for n in ("serve", "jobs", "nginx"))
            _report(session, "services_stopped_cleanly",
                    "services did not stop cleanly (exit codes %s):\n%s" % (bad, logs))
        else:
            _report(session, "services_stopped_cleanly", None)
        if session.testsfailed or interrupted(exitstatus):
            sys.stderr.write("\nharness: logs kept in %s\n" % p.run_dir)
        else:
            p.cleanup()


def interrupted(exitstatus):
    return exitstatus == pytest.ExitCode.INTERRUPTED
