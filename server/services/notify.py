"""Notifications: unit webhooks (e.g. a WeCom group robot) with retries and a delivery log,
overdue scanning, and the in-app count of new items."""
import json
import urllib.error
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Case, WebhookDelivery
from ..models.types import utcnow
from . import access

BACKOFF_MINUTES = [1, 5, 15, 60, 180, 360, 720]  # then the delivery is marked failed
TITLES = {"assigned": "新派遣案件", "returned": "案件被退回返工", "overdue": "案件已超期"}


def _message(kind, case, note=None):
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    due = case.due_at.astimezone(tz).strftime("%m月%d日 %H:%M") if case.due_at else "—"
    lines = [f"【巡查】{TITLES[kind]} {case.number}", f"类型：{case.category.name_zh}",
             f"期限：{due}"]
    if case.address:
        lines.append(f"地点：{case.address}")
    if note:
        lines.append(f"说明：{note}")
    return "\n".join(lines)


def enqueue(unit, kind, case, note=None):
    """Queue one notification for a unit that has a webhook (nothing otherwise). Not committed."""
    if not unit.webhook_url:
        return None
    # WeCom group robots take {"msgtype": "text", "text": {"content": …}}; others read it as JSON.
    payload = {"msgtype": "text", "text": {"content": _message(kind, case, note)},
               "xuncha": {"kind": kind, "case": case.number, "status": case.status,
                          "due_at": case.due_at.isoformat() if case.due_at else None}}
    delivery = WebhookDelivery(unit=unit, case_pk=case.pk, kind=kind, url=unit.webhook_url,
                               payload=payload, next_attempt_at=utcnow())
    db.session.add(delivery)
    return delivery


def post_json(url, payload, timeout=5):
    """POST JSON; returns the HTTP status (raises on network errors)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (office-set URL)
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def deliver_due(send=post_json, now=None):
    """Try every pending delivery whose time has come; returns {delivered, retry, failed}."""
    now = now or utcnow()
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    due = db.session.execute(select(WebhookDelivery).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id).limit(100)).scalars().all()
    for d in due:
        d.attempts += 1
        try:
            status = send(d.url, d.payload)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # a dead receiver must not stop the others
            error = f"{type(exc).__name__}: {exc}"[:500]
        if error is None:
            d.status, d.delivered_at, d.last_error = "delivered", now, None
            counts["delivered"] += 1
        elif d.attempts > len(BACKOFF_MINUTES):
            d.status, d.last_error = "failed", error
            counts["failed"] += 1
        else:
            d.last_error = error
            d.next_attempt_at = now + timedelta(minutes=BACKOFF_MINUTES[d.attempts - 1])
            counts["retry"] += 1
        db.session.commit()
    return counts


def scan_overdue(now=None):
    """Queue one overdue notice for each case that became overdue; returns how many."""
    from .lifecycle import overdue_clause
    now = now or utcnow()
    cases = db.session.execute(select(Case).where(
        overdue_clause(now), Case.overdue_notified_at.is_(None))).scalars().all()
    for case in cases:
        enqueue(case.lead_unit, "overdue", case)
        case.overdue_notified_at = now
    db.session.commit()
    return len(cases)


def new_items_count(user):
    """Cases the user may see that changed since they last looked."""
    q = select(func.count()).select_from(Case).where(access.visibility_clause(user))
    if user.seen_at is not None:
        q = q.where(Case.updated_at > user.seen_at)
    return db.session.scalar(q)


def mark_seen(user):
    """The user has looked: the count starts again from now."""
    user.seen_at = utcnow()
    db.session.commit()
    return user.seen_at
