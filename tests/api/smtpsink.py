"""tests/api/smtpsink.py: an SMTP receiver on loopback that keeps what it is sent.

Tests start one, point Printyard's smtp_url at it and read `sink.messages`: each
received mail as a dict with the envelope (`mail_from`, `rcpt_to`) and the message
`data` (bytes, dot-stuffing undone, line ends as sent). For fault tests,
`sink.answer(stage, reply)` makes it answer one stage of every following session with
`reply` instead of its usual yes; `sink.answer(stage, None)` goes back to normal.
Stages: "connect" (the greeting; the connection is closed after it), "ehlo", "mail",
"rcpt", "data" (the answer to DATA) and "message" (the answer after the final dot).

It speaks just enough SMTP for libcurl: no TLS, no AUTH, one session per connection
thread. Standard library only (socketserver), so Debian's python3 runs it.

Run alone, it saves every mail as an .eml file, for trying a configuration by hand:
    /usr/bin/python3 tests/api/smtpsink.py --port 2525 --dir /tmp/mails
"""
import argparse
import socketserver
import threading
import time
from pathlib import Path

STAGES = ("connect", "ehlo", "mail", "rcpt", "data", "message")
LINE_MAX = 4096         # longer command lines are refused
MESSAGE_MAX = 32 << 20  # so a runaway client cannot fill the memory


def _address(arg):
    """The address inside 'FROM:<a@b> SIZE=…' or 'TO:<a@b>'."""
    start, end = arg.find("<"), arg.find(">")
    return arg[start + 1:end] if 0 <= start < end else arg.split(":", 1)[-1].strip()


class _Session(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def answer(self, stage, usual):
        """Sends the usual reply or the one asked for; True when it was a yes."""
        special = self.server.sink.answers.get(stage)
        self.reply(special or usual)
        return special is None or special.startswith(("2", "3"))

    def handle(self):
        sink = self.server.sink
        if not self.answer("connect", "220 smtpsink.test ESMTP ready"):
            return
        mail_from, rcpt_to = None, []
        while True:
            raw = self.rfile.readline(LINE_MAX + 1)
            if not raw:
                return
            if len(raw) > LINE_MAX:
                self.reply("500 5.5.2 line too long")
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("EHLO", "HELO"):
                mail_from, rcpt_to = None, []
                usual = ("250-smtpsink.test\r\n250-8BITMIME\r\n250 SIZE %d" % MESSAGE_MAX
                         if verb == "EHLO" else "250 smtpsink.test")
                self.answer("ehlo", usual)
            elif verb == "MAIL":
                if self.answer("mail", "250 2.1.0 sender ok"):
                    mail_from, rcpt_to = _address(arg), []
            elif verb == "RCPT":
                if mail_from is None:
                    self.reply("503 5.5.1 MAIL first")
                elif self.answer("rcpt", "250 2.1.5 recipient ok"):
                    rcpt_to.append(_address(arg))
            elif verb == "DATA":
                if not rcpt_to:
                    self.reply("503 5.5.1 RCPT first")
                    continue
                if not self.answer("data", "354 end with <CRLF>.<CRLF>"):
                    continue
                data = self._read_data()
                if data is None:
                    return
                if self.answer("message", "250 2.0.0 queued as %d" % (len(sink.messages) + 1)):
                    sink._keep({"mail_from": mail_from, "rcpt_to": rcpt_to, "data": data})
                mail_from, rcpt_to = None, []
            elif verb == "RSET":
                mail_from, rcpt_to = None, []
                self.reply("250 2.0.0 reset")
            elif verb == "NOOP":
                self.reply("250 2.0.0 ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 bye")
                return
            else:
                self.reply("502 5.5.2 command not implemented")

    def _read_data(self):
        """The message up to the lone dot, dot-stuffing undone; None if cut off."""
        lines, size = [], 0
        while True:
            raw = self.rfile.readline(MESSAGE_MAX)
            if not raw:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b"."):
                raw = raw[1:]
            size += len(raw)
            if size > MESSAGE_MAX:
                return None
            lines.append(raw)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """An SMTP server on 127.0.0.1 (port 0: a free one) in a background thread."""

    def __init__(self, port=0, save_dir=None):
        self.messages = []
        self.answers = {}
        self.save_dir = Path(save_dir) if save_dir else None
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _Session)
        self._server.sink = self
        self.port = self._server.server_address[1]
        self.url = "smtp://127.0.0.1:%d" % self.port
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="smtpsink", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def answer(self, stage, reply):
        """From now on answer `stage` with `reply` ("451 4.7.1 try later"); None: yes."""
        if stage not in STAGES:
            raise ValueError("stage must be one of %s" % ", ".join(STAGES))
        if reply is None:
            self.answers.pop(stage, None)
        else:
            self.answers[stage] = reply

    def _keep(self, msg):
        with self._lock:
            self.messages.append(msg)
            if self.save_dir:
                self.save_dir.mkdir(parents=True, exist_ok=True)
                (self.save_dir / ("%04d.eml" % len(self.messages))).write_bytes(msg["data"])

    def wait(self, count=1, timeout=30):
        """Waits until `count` messages have arrived; returns them all."""
        end = time.time() + timeout
        while time.time() < end:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        with self._lock:
            return list(self.messages)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--dir", default="smtpsink-mail", help="where .eml files go")
    args = ap.parse_args()
    sink = SmtpSink(args.port, args.dir).start()
    print("smtpsink: listening on %s, saving into %s" % (sink.url, args.dir), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
