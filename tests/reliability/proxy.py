"""A fault-injecting HTTP/1.1 proxy on loopback, in front of a real gunicorn.

One request per client connection (the twin opens a connection per request). Each request is
either forwarded faithfully or, at the configured rate, suffers one fault chosen by a seeded RNG.
A captive portal's 200 is among them: it is what makes the client's final manifest check matter.
Every request the server fully received is recorded with the status it answered, so a test can
tell the proxy's own 502/503 from a real 5xx.
"""
import random
import socket
import threading
from collections import Counter

# kind → relative weight; a stall costs the client its whole timeout, so it comes less often.
FAULTS = {
    "drop_mid_body": 1.0,       # forward part of the body, then cut both connections
    "drop_after_forward": 1.0,  # the server answered (and committed); the client never hears
    "replay": 1.0,              # the server gets the request twice, concurrently
    "reorder": 1.0,             # held until a later request has overtaken it, then forwarded
    "error_5xx": 1.0,           # 502/503 from the proxy; nothing forwarded
    "stall": 0.5,               # nothing forwarded, nothing answered, until the client gives up
    "truncate": 1.0,            # the answer's body cut short
    "captive_portal": 0.5,      # 200 with a sign-in page; nothing forwarded
}
HOLD_MAX_S = 1.0  # a reordered request waits at most this long for another one to overtake it


def _read_head(sock):
    """(head bytes, body bytes already read), or (None, b'') if the client left first."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked bodies are not supported by this proxy")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _recv_exactly(sock, have, length):
    buf = bytearray(have)
    while len(buf) < length:
        chunk = sock.recv(min(1 << 20, length - len(buf)))
        if not chunk:
            raise ConnectionError("client closed mid-body")
        buf += chunk
    return bytes(buf)


def _answer(client, status, content_type, body):
    """An answer made up by the proxy (a gateway's error page, a captive portal)."""
    client.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type
                   + b"\r\nContent-Length: " + str(len(body)).encode()
                   + b"\r\nConnection: close\r\n\r\n" + body)


def _closing(head):
    """The same request head, asking the server to close after answering (one request each)."""
    lines = [ln for ln in head[:-4].split(b"\r\n")
             if not ln.lower().startswith((b"connection:", b"keep-alive:"))]
    return b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n"


class FaultProxy:
    """Listens on 127.0.0.1:<port>, forwards to 127.0.0.1:<upstream_port>, injects faults."""

    def __init__(self, upstream_port, rate, seed, upstream_timeout=120):
        self.upstream_port = upstream_port
        self.rate = rate
        self.upstream_timeout = upstream_timeout
        self.rng = random.Random(seed)
        self.lock = threading.Condition()
        self.counts = Counter()  # fault kind → times injected (plus reorder_overtaken)
        self.records = []  # (method, path, fault, status of the server's answer or None)
        self.requests = 0
        self.forwarded = 0  # requests sent whole to the server so far: the reorder clock
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.clients = set()
        self.threads = []
        self.acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    def start(self):
        """Start accepting connections."""
        self.acceptor.start()
        return self

    def stop(self):
        """Stop accepting, release held and stalled requests, and wait for every handler."""
        self.stopping.set()
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        self.acceptor.join()
        with self.lock:
            self.lock.notify_all()
            for c in list(self.clients):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already gone
        for t in self.threads:
            t.join(timeout=self.upstream_timeout)
        assert not any(t.is_alive() for t in self.threads), "a proxy handler did not finish"

    def _accept(self):
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._handle, args=(client,), daemon=True)
            self.threads.append(t)
            t.start()

    def _choose(self, has_body):
        with self.lock:
            self.requests += 1
            if self.rng.random() >= self.rate:
                return None, None
            kinds = [k for k in FAULTS if has_body or k != "drop_mid_body"]
            kind = self.rng.choices(kinds, [FAULTS[k] for k in kinds])[0]
            self.counts[kind] += 1
            # Each handler gets its own RNG, seeded from the shared one, for its fault's details.
            return kind, random.Random(self.rng.random())

    def _handle(self, client):
        with self.lock:
            self.clients.add(client)
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            length = _content_length(head)
            kind, rng = self._choose(length > 1)
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            method, path = request_line[0], request_line[1]
            if kind == "drop_mid_body":
                cut = rng.randrange(1, length)
                partial = _recv_exactly(client, rest[:cut], cut)
                with socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
                    up.sendall(_closing(head) + partial)
                return
            request = _closing(head) + _recv_exactly(client, rest, length)
            getattr(self, f"_{kind or 'forward'}")(client, request, method, path, rng)
        except OSError:
            pass  # the client gave up (its timeout, or a fault's own cut): nothing to answer
        finally:
            with self.lock:
                self.clients.discard(client)
            client.close()

    def _exchange(self, request, method, path, fault):
        """Send a whole request to the server and read its whole answer."""
        status = "no answer"
        try:
            with socket.create_connection(("127.0.0.1", self.upstream_port),
                                          timeout=self.upstream_timeout) as up:
                up.sendall(request)
                with self.lock:
                    self.forwarded += 1
                    self.lock.notify_all()
                chunks = []
                while chunk := up.recv(1 << 20):
                    chunks.append(chunk)
            answer = b"".join(chunks)
            if answer.startswith(b"HTTP/"):
                status = int(answer.split(b" ", 2)[1])
            return answer
        finally:
            with self.lock:
                self.records.append((method, path, fault, status))

    def _forward(self, client, request, method, path, rng):
        client.sendall(self._exchange(request, method, path, None))

    def _drop_after_forward(self, client, request, method, path, rng):
        self._exchange(request, method, path, "drop_after_forward")

    def _replay(self, client, request, method, path, rng):
        answers = [None, None]

        def twin_copy():
            answers[1] = self._exchange(request, method, path, "replay")
        t = threading.Thread(target=twin_copy)
        t.start()
        answers[0] = self._exchange(request, method, path, "replay")
        t.join()
        client.sendall(answers[rng.randrange(2)])

    def _reorder(self, client, request, method, path, rng):
        with self.lock:
            mark = self.forwarded
            self.lock.wait_for(lambda: self.forwarded > mark or self.stopping.is_set(),
                               timeout=HOLD_MAX_S)
            if self.forwarded > mark:
                self.counts["reorder_overtaken"] += 1
        client.sendall(self._exchange(request, method, path, "reorder"))

    def _error_5xx(self, client, request, method, path, rng):
        status = rng.choice([b"502 Bad Gateway", b"503 Service Unavailable"])
        _answer(client, status, b"text/html", b"<html><body><h1>" + status + b"</h1></body></html>")

    def _captive_portal(self, client, request, method, path, rng):
        _answer(client, b"200 OK", b"text/html; charset=utf-8",
                "<html><body>请登录 Wi-Fi / Sign in to the network</body></html>".encode())

    def _stall(self, client, request, method, path, rng):
        # Wait for the client to give up (recv → b'') or for stop() to shut the socket.
        while client.recv(65536):
            pass

    def _truncate(self, client, request, method, path, rng):
        answer = self._exchange(request, method, path, "truncate")
        head, sep, body = answer.partition(b"\r\n\r\n")
        cut = rng.randrange(len(body)) if body else rng.randrange(len(head))
        client.sendall((head + sep + body[:cut]) if body else head[:cut])
