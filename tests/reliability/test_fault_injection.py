"""Phones sync through a proxy that drops, replays, reorders, refuses, stalls and truncates.

However the network misbehaves, the server must end up with exactly the cases the phones meant to
send, each with exactly its photos byte for byte, and nothing else in the photo store.
"""
import os
import random
import threading
import time
import uuid
from pathlib import Path

import pytest

from server.errors import ApiError
from server.extensions import db
from server.schemas import CaseIn
from server.services import auth, sync

from ..helpers import generated_jpeg
from . import FULL, audit, issue_tokens, planned_case, random_photo, wait_until, write_figures
from .proxy import FAULTS, FaultProxy
from .twin import Twin

CASES = 200 if FULL else 40
RATE = 0.62 if FULL else 0.4  # share of requests that suffer a fault
PHONES = 4  # concurrent twins, so that requests from different phones overtake each other
TIMEOUT_S = 2.5  # the twins' socket timeout: what a stalled request costs its phone
DEADLINE_S = 900 if FULL else 120
SEED = int(os.environ.get("XUNCHA_RELIABILITY_SEED", "20261128"))


def plan_cases(rng, twins):
    """Enqueue CASES cases of 1–4 photos across the twins: {case id: {photo id: sha256}}."""
    intended = {}
    for i in range(CASES):
        case_id, body, photos = planned_case([random_photo(rng) for _ in range(rng.randint(1, 4))])
        twins[i % len(twins)].enqueue_case(case_id, body, photos)
        intended[case_id] = {decl["id"]: decl["sha256"] for decl, _ in photos}
    return intended


def sync_all_phones(twins, deadline):
    """Run every twin's sync loop in its own thread until each outbox is empty; returns errors."""
    errors, stop = [], threading.Event()

    def run(twin):
        try:
            twin.run_until_empty(deadline, stop)
        except Exception as err:  # reported by the test, which must not hang on a thread
            errors.append(repr(err))
    threads = [threading.Thread(target=run, args=(t,)) for t in twins]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    finally:
        stop.set()  # an interrupted run must not leave phones syncing in the background
        for t in threads:
            t.join()
    return errors


def test_sync_through_faults_stores_each_case_once(live_server, server_app):
    rng = random.Random(SEED)
    proxy = FaultProxy(live_server.port, RATE, SEED).start()
    tokens = issue_tokens(server_app, "inspector", PHONES, "phone")
    twins = [Twin("127.0.0.1", proxy.port, token, timeout=TIMEOUT_S) for token in tokens]
    intended = plan_cases(rng, twins)

    started = time.monotonic()
    try:
        errors = sync_all_phones(twins, started + DEADLINE_S)
    finally:
        proxy.stop()
    elapsed = time.monotonic() - started

    # A drop mid-body leaves the server reading an early EOF: give it a moment to clean up.
    tmp = Path(server_app.config["PHOTO_STORE"]) / "tmp"
    wait_until(lambda: not any(tmp.iterdir()), 10, "in-flight uploads to finish")
    found, figures = audit(server_app, intended)
    server_errors = [r for r in proxy.records if not isinstance(r[3], int) or r[3] >= 400]
    not_sent = [(i.id, i.state, i.error) for t in twins for i in t.unsent_items()]
    write_figures("faults", {
        **figures, "seconds": round(elapsed, 1), "phones": PHONES, "fault_rate": RATE,
        "requests": proxy.requests, "faults": sum(proxy.counts[k] for k in FAULTS),
        "faults_by_kind": {k: proxy.counts[k] for k in FAULTS},
        "reorders_overtaken": proxy.counts["reorder_overtaken"],
        "server_answers": len(proxy.records), "server_errors": len(server_errors),
        "client_attempts": sum(i.attempts for t in twins for i in t.outbox.values()),
        "problems": {k: v[:10] for k, v in found.items() if v}})

    assert errors == []
    assert not_sent == []
    assert all(not t.blobs for t in twins), "a twin kept photo bytes after its case synced"
    # Every request the server received whole was answered 2xx, replays and late arrivals too.
    assert server_errors == []
    assert found == {k: [] for k in found}
    assert figures["cases_stored"] == CASES
    assert figures["photos_checked"] == figures["photos_intended"]
    # Each kind of fault really happened, so this cannot pass on a quiet network.
    assert {k: proxy.counts[k] for k in FAULTS if proxy.counts[k] == 0} == {}
    assert proxy.counts["reorder_overtaken"] > 0
    assert not FULL or sum(proxy.counts[k] for k in FAULTS) >= 1000


def test_replay_that_lost_the_race_is_answered_as_a_replay(app, monkeypatch):
    """The proxy's concurrent replay, pinned at its worst moment: the twin commits in between."""
    with app.app_context():
        user = auth.create_user("race.twin", "inspector", "correct horse battery")
        db.session.commit()
        case_id, body, photos = planned_case([generated_jpeg()])
        data = CaseIn().load({**body, "photos": [decl for decl, _ in photos]})
        first, created = sync.upsert_case(user, uuid.UUID(case_id), data)
        assert created
        looks = []
        real_existing = sync._existing

        def looked_before_the_commit(*args):
            looks.append(args)
            return None if len(looks) == 1 else real_existing(*args)
        monkeypatch.setattr(sync, "_existing", looked_before_the_commit)
        case, created = sync.upsert_case(user, uuid.UUID(case_id), data)
        assert (case.id, created) == (first.id, False)
        # Another case claiming those photo ids is still refused.
        monkeypatch.setattr(sync, "_existing", real_existing)
        with pytest.raises(ApiError) as refused:
            sync.upsert_case(user, uuid.uuid4(), data)
        assert refused.value.code == "photo_id_taken"
