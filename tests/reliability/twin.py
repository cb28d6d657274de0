"""A Python twin of the PWA's outbox: the same sync protocol, as a plain http.client client.

Keep it in step with the PWA. It mirrors, one for one:
  pwa/js/outbox.js  enqueueCase → enqueue_case, syncItem → sync_item, uploadPhoto → upload_photo,
                    markSynced → mark_synced, syncAll → sync_all, unsentItems → unsent_items;
  pwa/js/api.js     request → request, ApiError.permanent → ApiError.permanent, NetworkError;
  pwa/js/sync.js    requestSync + schedule (the backoff timer) → run_until_empty.
A 2xx whose body is not JSON (a captive portal's page, a cut answer) did not come from the server:
api.js raises NetworkError for it, so that item is retried and the rest of the pass goes on; the
final manifest check still guards against any other way a photo could seem sent and not be.
"""
import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

# api.js: a 4xx other than these cannot be fixed by sending the same thing again.
RETRYABLE_4XX = (401, 408, 425, 429)


class NetworkError(Exception):
    """No usable answer: refused, reset, timed out, truncated, unreadable, or a 5xx."""


class ApiError(Exception):
    """The server answered with an error envelope {code, message, errors}."""

    def __init__(self, status, body):
        super().__init__((body or {}).get("message") or f"HTTP {status}")
        self.status = status
        self.code = (body or {}).get("code", "http_error")

    @property
    def permanent(self):
        """True when retrying the same request cannot help."""
        return 400 <= self.status < 500 and self.status not in RETRYABLE_4XX


class AuthExpired(Exception):
    """401: the PWA stops syncing until the inspector signs in again."""


@dataclass
class OutboxItem:
    """One case waiting in the outbox (outbox.js enqueueCase's item)."""

    id: str
    body: dict
    state: str = "queued"
    error: str | None = None
    permanent: bool = False
    attempts: int = 0
    uploaded: list = field(default_factory=list)
    result: dict | None = None


class Twin:
    """One phone: an outbox of cases with their photo bytes, synced to a server over HTTP."""

    def __init__(self, host, port, token, timeout=10.0, base_delay=0.005, max_delay=0.3):
        self.host, self.port, self.token, self.timeout = host, port, token, timeout
        # sync.js waits 5 s … 5 min; the twin keeps the shape at a thousandth of the scale.
        self.base_delay, self.max_delay = base_delay, max_delay
        self.outbox = {}  # id → OutboxItem, in capture order
        self.blobs = {}  # photo id → bytes (IndexedDB 'blobs')
        self.stats = Counter()
        self.offline = threading.Event()  # navigator.onLine false: nothing is sent

    # --- api.js -------------------------------------------------------------------------------

    def request(self, method, path, json_body=None, body=None, headers=None):
        """The JSON of a 2xx (None for 204/304); raises NetworkError or ApiError otherwise."""
        if self.offline.is_set():
            raise NetworkError("offline")
        h = {"Accept": "application/json", "Authorization": f"Bearer {self.token}",
             **(headers or {})}
        if json_body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(json_body, ensure_ascii=False).encode()
        self.stats["requests"] += 1
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            self.stats["network_errors"] += 1
            raise NetworkError(f"{type(err).__name__}: {err}") from err
        try:
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            # fetch() resolved at the headers; resp.json() on the cut body fails and gives null.
            self.stats["cut_bodies"] += 1
            raw = b""
        finally:
            conn.close()
        if resp.status in (204, 304):
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if resp.status >= 400:
            self.stats[f"http_{resp.status}"] += 1
            if resp.status >= 500:
                raise NetworkError(f"HTTP {resp.status}")
            raise ApiError(resp.status, data if isinstance(data, dict) else None)
        if not isinstance(data, dict):
            self.stats["unreadable_2xx"] += 1
            raise NetworkError("unreadable answer")
        return data

    # --- outbox.js ----------------------------------------------------------------------------

    def enqueue_case(self, case_id, body, photos):
        """Store a case and its photos together; photos is [(declaration, bytes)]."""
        body = {**body, "photos": [decl for decl, _ in photos]}
        self.outbox[case_id] = OutboxItem(id=case_id, body=body)
        for decl, data in photos:
            self.blobs[decl["id"]] = data
        return self.outbox[case_id]

    def unsent_items(self):
        """Items not yet synced (failed ones included, as in the PWA)."""
        return [i for i in self.outbox.values() if i.state != "synced"]

    def upload_photo(self, case_id, photo):
        """PUT one photo's bytes with its declared type and digest."""
        data = self.blobs.get(photo["id"])
        if data is None:
            raise ApiError(410, {"code": "photo_lost", "message": "本机照片已丢失"})
        self.request("PUT", f"/api/reports/{case_id}/photos/{photo['id']}?role=before", body=data,
                     headers={"Content-Type": photo["content_type"],
                              "X-Content-SHA256": photo["sha256"]})

    def mark_synced(self, item, case_json):
        """Free the photo bytes and keep the server's summary: only after its manifest said so."""
        for p in item.body["photos"]:
            self.blobs.pop(p["id"], None)
        item.state, item.error, item.permanent = "synced", None, False
        item.uploaded = [p["id"] for p in item.body["photos"]]
        item.result = {k: case_json.get(k) for k in ("number", "status", "due_at")}

    def sync_item(self, item):
        """Send one item as far as it goes: 'synced', 'retry' or 'failed'; raises AuthExpired."""
        try:
            item.state, item.attempts = "uploading", item.attempts + 1
            case_json = self.request("PUT", f"/api/reports/{item.id}", json_body=item.body)
            missing = set(case_json.get("missing_photos") or [])
            item.uploaded = [p["id"] for p in item.body["photos"] if p["id"] not in missing]
            for photo in [p for p in item.body["photos"] if p["id"] in missing]:
                self.upload_photo(item.id, photo)
                item.uploaded.append(photo["id"])
            # Only the server's own manifest may free the bytes.
            case_json = self.request("GET", f"/api/reports/{item.id}")
            if not isinstance(case_json.get("missing_photos"), list):
                raise NetworkError("unreadable answer")
            if case_json["missing_photos"]:
                item.state, item.error, item.permanent = "queued", "服务器尚缺照片", False
                return "retry"
            self.mark_synced(item, case_json)
            return "synced"
        except ApiError as err:
            if err.status == 401:
                item.state = "queued"
                raise AuthExpired(str(err)) from err
            if err.permanent:
                item.state, item.error, item.permanent = "failed", f"{err.status} {err.code}", True
                return "failed"
            item.state, item.error, item.permanent = "queued", str(err), False
            return "retry"
        except NetworkError as err:
            item.state, item.error, item.permanent = "queued", str(err), False
            return "retry"

    def sync_all(self):
        """One pass over every unsent item that can still succeed."""
        summary = Counter(synced=0, retry=0, failed=0)
        for item in self.unsent_items():
            if item.permanent:
                continue
            summary[self.sync_item(item)] += 1
        self.stats["passes"] += 1
        return summary

    # --- sync.js ------------------------------------------------------------------------------

    def run_until_empty(self, deadline, stop=None):
        """Sync passes with sync.js's doubling backoff until nothing retryable is left."""
        failures = 0
        while True:
            summary = self.sync_all()
            if summary["retry"] == 0:
                return summary
            failures += 1
            delay = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
            if time.monotonic() + delay > deadline:
                raise TimeoutError(f"outbox not empty: {len(self.unsent_items())} items left")
            # The backoff timer of sync.js; stop cuts it short when the test tears down.
            if (stop or threading.Event()).wait(delay):
                return summary
