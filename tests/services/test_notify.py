"""Notifications: what each lifecycle step queues for a unit's webhook, delivery to a real local HTTP
receiver (WeCom-style JSON), retries with backoff until given up, dead receivers, overdue scanning once
per case, and the in-app count of new items.

Statuses and due dates are set directly in the database where a test needs a case in a given state
(see test_lifecycle.py for the transitions themselves).
"""
import json
import socket
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from server.extensions import db
from server.models import Case, Unit, User, WebhookDelivery
from server.models.types import utcnow
from server.schemas import CaseIn
from server.services import auth, lifecycle, notify, sync

from ..helpers import case_body, declare, generated_jpeg


class Receiver:
    """A local HTTP server that records every POST and answers 500 to the first `fail_first`."""

    def __init__(self):
        self.requests = []
        self.fail_first = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "body": body,
                                              "content_type": self.headers.get("Content-Type")})
                    failing = receiver.fail_first > 0
                    receiver.fail_first -= failing
                answer = b'{"errcode":500}' if failing else b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: shutdown() waits for the serving loop to notice.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def bodies(self):
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join(5)


def closed_port_url():
    """A URL nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def hooks(app_ctx):
    """hooks(unit_code, url): give a unit a webhook for this test (removed afterwards, so the catalog
    stays pristine for the next test)."""
    changed = []

    def set_hook(code, url):
        unit = db.session.execute(select(Unit).filter_by(code=code)).scalar_one()
        unit.webhook_url = url
        db.session.commit()
        changed.append(code)
        return unit
    yield set_hook
    db.session.rollback()
    for code in changed:
        db.session.execute(select(Unit).filter_by(code=code)).scalar_one().webhook_url = None
    db.session.commit()


@pytest.fixture
def people(app_ctx, make_user, monkeypatch):
    # These users never sign in; scrypt for each would only slow the tests down.
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"))
    ids = {"office": make_user("office")[0], "liaison": make_user("liaison", unit="zfj")[0],
           "jdb_liaison": make_user("liaison", unit="jdb")[0],
           "reporter": make_user("inspector")[0], "other_inspector": make_user("inspector")[0]}
    return {name: db.session.get(User, uid) for name, uid in ids.items()}


def new_case(user, category="a1-piling", address=None):
    """A case created the way a phone's PUT creates it (one declared photo, not uploaded)."""
    body = case_body(category, [declare(generated_jpeg(size=(64, 48)))])
    if address:
        body["location"]["address"] = address
    data = CaseIn().load(body)
    return sync.upsert_case(user, uuid.uuid4(), data)[0]


def transition(user, case, action, **data):
    body = {"id": uuid.uuid4(), "action": action, "note": "", "photos": [], "unit": None,
            "due_at": None, "duplicate_of": None, **data}
    return lifecycle.apply_transition(user, case.id, body)[0]


def deliveries(**where):
    q = select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id)
    return db.session.execute(q).scalars().all()


def set_state(case, status, due_at=None):
    case.status, case.due_at = status, due_at
    db.session.commit()
    return case


NOTHING = {"delivered": 0, "retry": 0, "failed": 0}


# ── what gets queued ─────────────────────────────────────────────────────────────────────────


def test_auto_dispatch_at_creation_queues_assigned(people, hooks, receiver):
    zfj = hooks("zfj", receiver.url("/zfj"))
    case = new_case(people["reporter"], "a1-piling")
    assert case.status == "dispatched"
    (d,) = deliveries()
    assert (d.kind, d.unit_id, d.case_pk, d.url, d.status, d.attempts) == \
        ("assigned", zfj.id, case.pk, receiver.url("/zfj"), "pending", 0)
    assert d.payload["msgtype"] == "text"
    assert case.number in d.payload["text"]["content"] and "新派遣案件" in d.payload["text"]["content"]
    assert d.payload["xuncha"] == {"kind": "assigned", "case": case.number, "status": "dispatched",
                                   "due_at": case.due_at.isoformat()}


def test_lifecycle_dispatch_queues_assigned_for_the_chosen_unit(people, hooks, receiver):
    hooks("zfj", receiver.url("/zfj"))
    case = new_case(people["reporter"], "a1-other")  # waits for the office
    assert case.status == "submitted" and deliveries() == []
    case = transition(people["office"], case, "dispatch", unit="zfj")
    (d,) = deliveries()
    assert (d.kind, d.case_pk, d.unit.code) == ("assigned", case.pk, "zfj")
    assert case.number in d.payload["text"]["content"]
    # Re-dispatched to 阳和街道办事处, which has no webhook: nothing more is queued.
    transition(people["office"], case, "dispatch", unit="jdb", note="属街道职责")
    assert len(deliveries()) == 1


def test_return_queues_returned_with_the_reason(people, hooks, receiver):
    hooks("zfj", receiver.url("/zfj"))
    case = new_case(people["reporter"], "a1-piling")
    set_state(case, "resolved", case.due_at)
    transition(people["office"], case, "return", note="整改后照片看不清")
    d = deliveries(kind="returned")[0]
    assert d.unit.code == "zfj"
    content = d.payload["text"]["content"]
    assert case.number in content and "案件被退回返工" in content and "说明：整改后照片看不清" in content


def test_webhook_payload_states_the_status_after_the_step(people, hooks, receiver):
    """The payload's `status` should be where the case now is (a unit's bot shows it)."""
    hooks("zfj", receiver.url("/zfj"))
    office = people["office"]
    dispatched = transition(office, new_case(people["reporter"], "a1-other"), "dispatch", unit="zfj")
    returned = set_state(new_case(people["reporter"], "a1-piling"), "resolved", utcnow() + timedelta(days=1))
    returned = transition(office, returned, "return", note="返工")
    reopened = set_state(new_case(people["reporter"], "a1-piling"), "closed", utcnow() - timedelta(days=1))
    reopened = transition(office, reopened, "reopen", note="复发")
    got = {step: deliveries(case_pk=case.pk, kind=kind)[-1].payload["xuncha"]["status"]
           for step, case, kind in [("dispatch", dispatched, "assigned"), ("return", returned, "returned"),
                                    ("reopen", reopened, "assigned")]}
    now = {"dispatch": dispatched.status, "return": returned.status, "reopen": reopened.status}
    assert now == {"dispatch": "dispatched", "return": "accepted", "reopen": "dispatched"}
    assert got == now


def test_scan_overdue_once_per_case_and_again_after_extension(people, hooks, receiver):
    hooks("zfj", receiver.url("/zfj"))
    case = new_case(people["reporter"], "a1-piling")
    set_state(case, "accepted", utcnow() - timedelta(hours=1))
    assert notify.scan_overdue() == 1
    assert db.session.get(Case, case.pk).overdue_notified_at is not None
    (d,) = deliveries(kind="overdue")
    assert d.case_pk == case.pk and "案件已超期" in d.payload["text"]["content"]
    assert notify.scan_overdue() == 0 and len(deliveries(kind="overdue")) == 1
    # An extension gives a new deadline; missing that one is a new overdue notice.
    new_due = utcnow() + timedelta(hours=2)
    case = transition(people["office"], case, "grant_extension", due_at=new_due)
    assert case.overdue_notified_at is None
    assert notify.scan_overdue() == 0
    assert notify.scan_overdue(now=new_due + timedelta(hours=1)) == 1
    assert notify.scan_overdue(now=new_due + timedelta(hours=2)) == 0
    assert len(deliveries(kind="overdue")) == 2


def test_reopened_case_gets_a_new_overdue_notice(people, hooks, receiver):
    """A reopened case has a new deadline; missing it should notify the unit again."""
    hooks("zfj", receiver.url("/zfj"))
    case = new_case(people["reporter"], "a1-piling")
    set_state(case, "accepted", utcnow() - timedelta(hours=1))
    assert notify.scan_overdue() == 1
    set_state(case, "closed", case.due_at)  # fixed late, verified, closed
    case = transition(people["office"], case, "reopen", note="问题复发")
    assert case.status == "dispatched" and case.due_at > utcnow()
    assert notify.scan_overdue(now=case.due_at + timedelta(hours=1)) == 1
    assert len(deliveries(kind="overdue")) == 2


def test_units_without_webhook_get_nothing(people):
    office = people["office"]
    case = new_case(people["reporter"], "a1-piling")          # auto-dispatch
    other = transition(office, new_case(people["reporter"], "a1-other"), "dispatch", unit="zfj")
    set_state(case, "resolved", utcnow() + timedelta(days=1))
    transition(office, case, "return", note="返工")             # returned
    set_state(other, "dispatched", utcnow() - timedelta(hours=1))
    assert notify.scan_overdue() == 1                          # counted, nobody to tell
    assert deliveries() == []
    assert notify.deliver_due() == NOTHING


# ── delivery ─────────────────────────────────────────────────────────────────────────────────


def test_deliver_posts_wecom_text(people, hooks, receiver):
    hooks("zfj", receiver.url("/zfj"))
    case = new_case(people["reporter"], "a1-piling", address="阳和大道 8 号")
    assert notify.deliver_due() == {"delivered": 1, "retry": 0, "failed": 0}
    (request,) = receiver.requests
    assert request["path"] == "/zfj" and request["content_type"].startswith("application/json")
    body = json.loads(request["body"].decode("utf-8"))
    assert body["msgtype"] == "text"
    content = body["text"]["content"]
    assert content.startswith(f"【巡查】新派遣案件 {case.number}")
    assert f"类型：{case.category.name_zh}" in content
    assert "期限：" + case.due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m月%d日 %H:%M") in content
    assert "地点：阳和大道 8 号" in content
    assert body["xuncha"]["case"] == case.number
    (d,) = deliveries()
    assert (d.status, d.attempts, d.last_error) == ("delivered", 1, None) and d.delivered_at is not None
    # Delivered once: nothing left to send.
    assert notify.deliver_due(now=utcnow() + timedelta(days=1)) == NOTHING
    assert len(receiver.requests) == 1


def test_failing_receiver_is_retried_with_backoff(people, hooks, receiver):
    hooks("zfj", receiver.url("/zfj"))
    new_case(people["reporter"], "a1-piling")
    receiver.fail_first = 2
    t0 = utcnow()
    assert notify.deliver_due(now=t0) == {"delivered": 0, "retry": 1, "failed": 0}
    (d,) = deliveries()
    assert (d.status, d.attempts, d.last_error) == ("pending", 1, "HTTP 500")
    assert d.next_attempt_at == t0 + timedelta(minutes=notify.BACKOFF_MINUTES[0])
    # Not yet time for the retry.
    assert notify.deliver_due(now=t0 + timedelta(seconds=59)) == NOTHING
    assert len(receiver.requests) == 1
    t1 = d.next_attempt_at
    assert notify.deliver_due(now=t1) == {"delivered": 0, "retry": 1, "failed": 0}
    d = db.session.get(WebhookDelivery, d.id)
    assert (d.attempts, d.next_attempt_at) == (2, t1 + timedelta(minutes=notify.BACKOFF_MINUTES[1]))
    t2 = d.next_attempt_at
    assert notify.deliver_due(now=t2) == {"delivered": 1, "retry": 0, "failed": 0}
    d = db.session.get(WebhookDelivery, d.id)
    assert (d.status, d.attempts, d.last_error, d.delivered_at) == ("delivered", 3, None, t2)
    assert len(receiver.requests) == 3 and receiver.bodies()[0] == receiver.bodies()[2]


def test_delivery_fails_once_backoff_is_exhausted(people, hooks, receiver):
    hooks("zfj", receiver.url("/zfj"))
    new_case(people["reporter"], "a1-piling")
    receiver.fail_first = 100
    (d,) = deliveries()
    for attempt, minutes in enumerate(notify.BACKOFF_MINUTES, start=1):
        now = d.next_attempt_at
        assert notify.deliver_due(now=now) == {"delivered": 0, "retry": 1, "failed": 0}, attempt
        d = db.session.get(WebhookDelivery, d.id)
        assert (d.status, d.attempts) == ("pending", attempt)
        assert d.next_attempt_at == now + timedelta(minutes=minutes)
    assert notify.deliver_due(now=d.next_attempt_at) == {"delivered": 0, "retry": 0, "failed": 1}
    d = db.session.get(WebhookDelivery, d.id)
    assert (d.status, d.attempts, d.last_error) == ("failed", len(notify.BACKOFF_MINUTES) + 1, "HTTP 500")
    assert notify.deliver_due(now=utcnow() + timedelta(days=30)) == NOTHING
    assert len(receiver.requests) == len(notify.BACKOFF_MINUTES) + 1


def test_dead_receiver_is_recorded_and_does_not_stop_others(people, hooks, receiver):
    hooks("zfj", closed_port_url())
    hooks("jdb", receiver.url("/jdb"))
    dead_case = new_case(people["reporter"], "a1-piling")     # → 市执法局北部分局
    live_case = new_case(people["reporter"], "a2-garbage")    # → 阳和街道办事处
    now = utcnow()
    assert notify.deliver_due(now=now) == {"delivered": 1, "retry": 1, "failed": 0}
    dead = deliveries(case_pk=dead_case.pk)[0]
    assert (dead.status, dead.attempts) == ("pending", 1)
    assert "URLError" in dead.last_error and "refused" in dead.last_error.lower()
    assert dead.next_attempt_at == now + timedelta(minutes=notify.BACKOFF_MINUTES[0])
    assert deliveries(case_pk=live_case.pk)[0].status == "delivered"
    assert [b["xuncha"]["case"] for b in receiver.bodies()] == [live_case.number]


# ── the in-app count ─────────────────────────────────────────────────────────────────────────


def test_new_items_count_and_mark_seen(people):
    office, liaison = people["office"], people["liaison"]
    dispatched = new_case(people["reporter"], "a1-piling")    # auto-dispatched to zfj
    submitted = new_case(people["reporter"], "a1-other")      # waiting for the office
    count = notify.new_items_count
    assert (count(office), count(liaison), count(people["reporter"])) == (2, 1, 2)
    assert (count(people["jdb_liaison"]), count(people["other_inspector"])) == (0, 0)
    seen = notify.mark_seen(office)
    assert db.session.get(User, office.id).seen_at == seen and count(office) == 0
    transition(liaison, dispatched, "accept")
    assert (count(office), count(liaison)) == (1, 1)
    notify.mark_seen(liaison)
    assert count(liaison) == 0
    transition(office, submitted, "dispatch", unit="zfj")
    assert (count(office), count(liaison)) == (2, 1)
