"""Helpers for tests that run `printyard sim` and `printyard telemetry`:
waiting for a condition, our own processes logged to a file, starting a
simulated farm, reading a printer's state through the API, and what a
simulated printer holds, asked of the simulator itself (ftplib with
implicit TLS for Bambu, requests for the HTTP kinds)."""
import ftplib
import json
import queue
import signal
import socket
import ssl
import subprocess
import threading
import time
from urllib.parse import quote

import requests
from requests.auth import HTTPDigestAuth

from harness import _die_with_parent, default_bin
import util


def wait_for(fn, timeout=60, step=0.3):
    """util.wait_for with the longer wait a simulated farm needs."""
    return util.wait_for(fn, timeout, step)


class Proc:
    """A process of ours, logged to a file, stopped by its pid."""
    def __init__(self, argv, log, env=None, cwd=None):
        self.log_path = log
        self.log = open(log, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     preexec_fn=_die_with_parent)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.log.close()
        return rc

    def text(self):
        return self.log_path.read_text()

    def rss_mb(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


def start_sim(server, d, config):
    """Starts `printyard sim` with config in directory d; only its printers
    stay active (printers of other tests are not this worker's business).
    Returns the process and the farm.json it wrote once ready."""
    (d / "sim.json").write_text(json.dumps(config))
    server.psql("UPDATE printers SET active = false WHERE active")
    sim = Proc([str(default_bin()), "sim", "--config", str(d / "sim.json"),
                "--run-dir", str(d / "run")], d / "sim.log", cwd=str(d))
    farm_file = d / "run" / "farm.json"
    assert wait_for(lambda: farm_file.exists() or sim.proc.poll() is not None, 60)
    assert farm_file.exists(), sim.text()
    return sim, farm_file


def start_worker(server, farm_file, log, env=None, extra=()):
    """`printyard telemetry --farm farm_file`, logged to log."""
    return Proc([str(server.bin), "--config", str(server.config), "telemetry",
                 "--farm", str(farm_file), *extra], log,
                env=env if env is not None else server.env)


def registered(server, prefix, n, timeout=30):
    """{name: id} of the active printers named prefix..., once the worker
    has registered all n of them (else None)."""
    return wait_for(lambda: (lambda rows: dict(rows) if len(rows) == n else None)(
        server.psql("SELECT name, id FROM printers WHERE active AND name LIKE %s",
                    (prefix + "%",))), timeout)


def stop_farm(server, worker, sim, prefix):
    """Stops the worker and the simulator, drops the worker's heartbeat (a
    stale one would make health "degraded" for later tests) and deactivates
    the farm's printers (their runs keep them); returns the worker's exit
    status."""
    rc = worker.stop()
    sim.stop()
    server.psql("DELETE FROM heartbeats WHERE process = 'telemetry'")
    server.psql("UPDATE printers SET active = false WHERE name LIKE %s", (prefix + "%",))
    return rc


def state(api, h, pid):
    """GET /api/v1/printers/{pid}/state, which must answer 200."""
    r = api.get(f"/api/v1/printers/{pid}/state", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


class ImplicitFTPS(ftplib.FTP_TLS):
    """FTP over TLS from the first byte (port 990 style), checking the
    certificate against the farm's CA and the serial as its name."""

    def __init__(self, tls_name, **kw):
        super().__init__(**kw)
        self.tls_name = tls_name

    def connect(self, host, port, timeout=10):
        self.host, self.port, self.timeout = host, port, timeout
        raw = socket.create_connection((host, port), timeout)
        self.af = raw.family
        self.sock = self.context.wrap_socket(raw, server_hostname=self.tls_name)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        conn = self.context.wrap_socket(conn, server_hostname=self.tls_name,
                                        session=self.sock.session)
        return conn, size


def ftps_session(fp, login=True, password=None):
    ctx = ssl.create_default_context(cafile=fp["ca_file"])
    ftp = ImplicitFTPS(fp["serial"], context=ctx, timeout=10)
    ftp.connect(fp["host"], fp["ftp_port"])
    if login:
        try:
            ftp.login("bblp", password or fp["access_code"])
            ftp.prot_p()
        except ftplib.Error:
            ftp.close()
            raise
    return ftp


def sim_base(fp):
    return "http://%s:%d" % (fp["host"], fp["port"])


def sim_auth(fp):
    """requests keyword arguments with the printer's own credentials."""
    if fp["kind"] == "prusalink":
        return {"auth": HTTPDigestAuth("maker", fp["password"])}
    return {"headers": {"X-Api-Key": fp["api_key"]}}


def sim_listing(fp):
    """{name: size} as the printer lists its files (a new FTPS session, so
    for Bambu another process than the one that took the upload)."""
    if fp["kind"] == "bambu":
        # the root and its folders, but videos, pictures and logs are no print files
        ftp = ftps_session(fp)
        files, folders = {}, [""]
        while folders:
            folder = folders.pop(0)
            lines = []
            ftp.retrlines("LIST /" + folder, lines.append)
            for l in lines:
                cols = l.split(None, 8)
                if l.startswith("d"):
                    if cols[8] not in ("timelapse", "image", "logger"):
                        folders.append(folder + "/" + cols[8] if folder else cols[8])
                else:
                    files[cols[8]] = int(cols[4])
        ftp.quit()
        return files
    if fp["kind"] == "prusalink":
        r = requests.get(sim_base(fp) + "/api/v1/files/usb/", timeout=10, **sim_auth(fp))
        assert r.status_code == 200, r.text
        return {c["display_name"]: c["size"] for c in r.json()["children"]}
    if fp["kind"] == "octoprint":
        r = requests.get(sim_base(fp) + "/api/files/local", timeout=10, **sim_auth(fp))
        assert r.status_code == 200, r.text
        return {f["name"]: f["size"] for f in r.json()["files"]}
    r = requests.get(sim_base(fp) + "/server/files/list?root=gcodes", timeout=10, **sim_auth(fp))
    assert r.status_code == 200, r.text
    return {f["path"]: f["size"] for f in r.json()["result"]}


def sim_bytes(fp, name):
    """The bytes of a file, downloaded from the printer."""
    if fp["kind"] == "bambu":
        ftp = ftps_session(fp)
        data = bytearray()
        ftp.retrbinary("RETR " + name, data.extend)
        ftp.quit()
        return bytes(data)
    path = {"prusalink": "/usb/", "octoprint": "/downloads/files/local/",
            "moonraker": "/server/files/gcodes/"}[fp["kind"]]
    r = requests.get(sim_base(fp) + path + quote(name), timeout=10, **sim_auth(fp))
    assert r.status_code == 200, r.text
    return r.content


class Watch:
    """mosquitto_sub on a simulated Bambu printer's report topic (fp: its
    farm.json entry); the reports in a queue."""

    def __init__(self, fp, password=None, timeout=30):
        self.q = queue.Queue()
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", fp.get("host", "127.0.0.1"), "-p", str(fp["port"]),
             "--cafile", fp["ca_file"], "--insecure", "-u", "bblp",
             "-P", password or fp["access_code"],
             "-t", "device/%s/report" % fp["serial"], "-W", str(timeout)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.q.put(json.loads(line))
        self.q.put(None)

    def next(self, pred=lambda m: True, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                m = self.q.get(timeout=max(0.05, deadline - time.time()))
            except queue.Empty:
                break
            if m is None:
                break
            if pred(m):
                return m
        raise AssertionError("no matching report within %ss" % timeout)

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.reader.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
