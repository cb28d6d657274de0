"""Office exports: cases as xlsx / CSV / GeoJSON with the gallery's filters, the evaluation as xlsx, and
the evidence pack (originals + SHA-256 manifest + event history) — each read back with the real reader
(openpyxl, csv, json, zipfile, hashlib) and compared with the cases as the API shows them.

The cases are made through the API as phones and the public make them (PUT /api/reports, photo PUTs,
the public form, transitions). Two things are then set directly in the database, since no API sets
them: one case's received_at (moved to January 2026, for the from/to filters) and another's due_at
(moved into the past, for overdue=true).
"""
import csv
import hashlib
import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from server.extensions import db
from server.models import Case

from ..helpers import YANGHE, case_body, declare, generated_jpeg, sample

CST = ZoneInfo("Asia/Shanghai")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["编号", "状态", "来源", "专项行动", "问题类型", "牵头单位", "配合单位", "问题描述", "地址", "纬度",
           "经度", "上报时间", "期限", "返工次数", "延期次数", "提示"]
EVAL_HEADERS = ["单位", "派遣案件", "已结案", "按期处置", "超期未结", "返工案件", "延期案件", "处置率",
                "按期处置率", "返工率", "超期率", "延期率", "处置中位时长(小时)", "得分", "排名"]
RATE_HEADERS = {"处置率", "按期处置率", "返工率", "超期率", "延期率"}
FAR_SAMPLE = "gps/DSCN0010.jpg"  # EXIF GPS in Tuscany, ~9,000 km from the case's fix in Liuzhou
JANUARY = datetime(2026, 1, 15, 10, 0, tzinfo=CST)
TRICKY_TEXT = '背街小巷堆放杂物，"纸箱", 木板\n第二行'  # comma, quotes and a newline for the CSV


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Users are made per test; scrypt would dominate the run time and is not under test here."""
    from werkzeug.security import generate_password_hash
    from server.services import auth
    monkeypatch.setattr(auth, "generate_password_hash",
                        lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1"))


# ── building the cases ──────────────────────────────────────────────────────────────────────


def put_case(client, headers, category, photos=(), upload=True, address=None, **extra):
    """PUT a case declaring these photo bytes and (unless upload=False) upload them; returns
    (case JSON, {photo id: bytes})."""
    decls = [declare(b) for b in photos]
    body = case_body(category, decls, **extra)
    if address:
        body["location"]["address"] = address
    case_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case_id}", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    if upload:
        for d, data in zip(decls, photos):
            r = client.put(f"/api/reports/{case_id}/photos/{d['id']}", data=data,
                           headers={**headers, "Content-Type": "image/jpeg"})
            assert r.status_code == 201, r.get_json()
    return get_case(client, headers, case_id), {d["id"]: b for d, b in zip(decls, photos)}


def get_case(client, headers, case_id):
    r = client.get(f"/api/reports/{case_id}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def act(client, headers, case_id, action, **data):
    r = client.post(f"/api/reports/{case_id}/transitions",
                    json={"id": str(uuid.uuid4()), "action": action, **data}, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


class World(dict):
    """name → case JSON (as the office sees it), plus the uploaded bytes and the people."""


@pytest.fixture
def world(app, client, make_user):
    w = World()
    w.inspector = make_user("inspector", username="zhang.san")[1]
    w.covert_inspector = make_user("inspector", username="an.fang.yuan")[1]
    w.office = make_user("office", username="chuang.wei.ban")[1]
    w.liaison = make_user("liaison", unit="zfj", username="zfj.liaison")[1]
    w.uploads = {}

    # plain: an inspector's a1-piling case (lead 市执法局北部分局), taken through to closed.
    before = generated_jpeg(color=(10, 120, 10))
    case, up = put_case(client, w.inspector, "a1-piling", [before], address="阳和大道 18 号",
                        description=TRICKY_TEXT)
    w.uploads.update(up)
    act(client, w.liaison, case["id"], "accept")
    after = generated_jpeg(color=(10, 10, 200))
    after_id = str(uuid.uuid4())
    r = client.put(f"/api/reports/{case['id']}/photos/{after_id}?role=after", data=after,
                   headers={**w.liaison, "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.get_json()
    w.uploads[after_id] = after
    act(client, w.liaison, case["id"], "resolve", note="杂物已清理", photos=[after_id])
    act(client, w.office, case["id"], "verify")
    w["plain"] = case["id"]

    # covert: an 暗访 case of a2-garbage (lead 阳和街道办事处), elsewhere in Yanghe; later made overdue.
    case, up = put_case(client, w.covert_inspector, "a2-garbage", [generated_jpeg(color=(90, 90, 0))],
                        lat=24.3801, lon=109.5012, covert=True)
    w.uploads.update(up)
    w["covert"] = case["id"]

    # far: a real photo whose EXIF GPS is far from the device fix → flag exif_gps_far; later moved
    # to January.
    shot = sample(FAR_SAMPLE)
    case, up = put_case(client, w.inspector, "a1-piling", [shot])
    w.uploads.update(up)
    w["far"] = case["id"]

    # public: a complaint through the public form (a3-garbage, lead 阳和工商所), status submitted.
    public_photo = generated_jpeg(color=(200, 200, 0))
    r = client.post("/api/public/reports", content_type="multipart/form-data",
                    environ_base={"REMOTE_ADDR": "203.0.113.9"},
                    data={"category": "a3-garbage", "description": "市场门口垃圾成堆", "lat": "24.3555",
                          "lon": "109.4701", "photo": [(io.BytesIO(public_photo), "p.jpg", "image/jpeg")]})
    assert r.status_code == 201, r.get_json()
    number = r.get_json()["number"]
    items = client.get("/api/reports", headers=w.office).get_json()["items"]
    w["public"] = next(c["id"] for c in items if c["number"] == number)
    w.public_photo = public_photo

    # submitted: a1-other is not auto-dispatched; its photo is declared but never uploaded.
    case, _ = put_case(client, w.inspector, "a1-other", [generated_jpeg(color=(1, 2, 3))], upload=False,
                       lat=24.3690, lon=109.4930)
    w["submitted"] = case["id"]

    with app.app_context():
        db.session.execute(update(Case).where(Case.id == uuid.UUID(w["far"])).values(received_at=JANUARY))
        db.session.execute(update(Case).where(Case.id == uuid.UUID(w["covert"])).values(
            due_at=datetime.now(timezone.utc) - timedelta(hours=2)))
        db.session.commit()
    w.cases = {name: get_case(client, w.office, w[name]) for name in
               ("plain", "covert", "far", "public", "submitted")}
    w.by_number = {c["number"]: name for name, c in w.cases.items()}
    assert "exif_gps_far" in [f["code"] for f in w.cases["far"]["flags"]]
    assert not [f for name in ("plain", "covert", "public", "submitted") for f in w.cases[name]["flags"]
                if f["code"] == "exif_gps_far"]
    assert w.cases["plain"]["status"] == "closed" and w.cases["public"]["source"] == "public"
    return w


def local_naive(iso):
    return datetime.fromisoformat(iso).astimezone(CST).replace(tzinfo=None)


def read_csv(r):
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM that Excel and WPS look for
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert rows[0] == HEADERS
    return rows[1:]


def numbers_in(rows):
    return sorted(row[0] for row in rows)


# ── cases.xlsx ──────────────────────────────────────────────────────────────────────────────


def test_cases_xlsx_reads_back(client, world):
    r = client.get("/api/exports/cases.xlsx", headers=world.office)
    assert r.status_code == 200
    assert r.mimetype == XLSX
    assert "attachment" in r.headers["Content-Disposition"] and "cases.xlsx" in r.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.get_data())).active
    assert ws.title == "案件"
    assert [c.value for c in ws[1]] == HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    widths = {h: ws.column_dimensions[c.column_letter].width for h, c in zip(HEADERS, ws[1])}
    assert all(w >= 9 for w in widths.values()), widths
    assert widths["问题描述"] >= 30 and widths["上报时间"] >= 16 and widths["问题描述"] > widths["编号"]

    rows = {row[0].value: {h: c for h, c in zip(HEADERS, row)} for row in ws.iter_rows(min_row=2)}
    assert set(rows) == set(world.by_number)
    # Rows come in the order the cases were made.
    assert [row[0].value for row in ws.iter_rows(min_row=2)] == [world.cases[n]["number"] for n in
                                                                ("plain", "covert", "far", "public", "submitted")]
    plain, case = rows[world.cases["plain"]["number"]], world.cases["plain"]
    values = {h: c.value for h, c in plain.items()}
    assert values["状态"] == "已核查结案"
    assert values["来源"] == "巡查"
    assert values["专项行动"] == case["action"]["name"] == "市容环境卫生专项整治行动"
    assert values["问题类型"] == "乱堆乱放"
    assert values["牵头单位"] == "市执法局北部分局"
    assert values["配合单位"] == "、".join(u["name"] for u in case["cooperating_units"])
    assert values["问题描述"] == TRICKY_TEXT
    assert values["地址"] == "阳和大道 18 号"
    assert (values["纬度"], values["经度"]) == (YANGHE["lat"], YANGHE["lon"])
    assert (values["返工次数"], values["延期次数"]) == (0, 0)
    assert values["提示"] in ("", None)
    for header, key in (("上报时间", "received_at"), ("期限", "due_at")):
        cell = plain[header]
        assert isinstance(cell.value, datetime), header
        assert "yyyy" in cell.number_format, (header, cell.number_format)
        # Excel has no time zones: the office's wall-clock time (to Excel's millisecond precision).
        assert abs(cell.value - local_naive(case[key])) < timedelta(milliseconds=2), header

    assert rows[world.cases["covert"]["number"]]["来源"].value == "暗访"
    assert rows[world.cases["public"]["number"]]["来源"].value == "群众投诉"
    assert rows[world.cases["public"]["number"]]["牵头单位"].value == "阳和工商所"
    assert rows[world.cases["submitted"]["number"]]["期限"].value is None  # no due date while submitted
    far = rows[world.cases["far"]["number"]]
    assert far["上报时间"].value == datetime(2026, 1, 15, 10, 0)
    assert "照片 GPS 与设备定位相距" in far["提示"].value
    # No reporter names in a case export, a covert inspector's least of all.
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row)
    assert "an.fang.yuan" not in text and "zhang.san" not in text

    # A filter narrows the workbook as it does the CSV.
    r = client.get("/api/exports/cases.xlsx", query_string={"unit": "jdb"}, headers=world.office)
    ws = load_workbook(io.BytesIO(r.get_data())).active
    assert [row[0].value for row in ws.iter_rows(min_row=2)] == [world.cases["covert"]["number"]]


def xlsx_cell_of(client, office, case, header):
    r = client.get("/api/exports/cases.xlsx", headers=office)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    ws = load_workbook(io.BytesIO(r.get_data())).active
    row = next(row for row in ws.iter_rows(min_row=2) if row[0].value == case["number"])
    return row[HEADERS.index(header)]


def test_cases_xlsx_keeps_text_that_looks_like_a_formula_as_text(client, inspector, office):
    """A description is what an inspector or the public typed; Excel must show it, not evaluate it."""
    text = '=HYPERLINK("http://example.com/x","点此查看")'
    case, _ = put_case(client, inspector, "a1-piling", [generated_jpeg()], description=text)
    cell = xlsx_cell_of(client, office, case, "问题描述")
    assert cell.value == text
    assert cell.data_type == "s", f"stored as {cell.data_type!r}: Excel would run it as a formula"


def test_cases_xlsx_survives_a_control_character_in_a_description(client, inspector, office):
    """The API accepts any text in a description; one odd character must not break the office's export."""
    case, _ = put_case(client, inspector, "a1-piling", [generated_jpeg()], description="纸箱\x0b堆放")
    assert get_case(client, office, case["id"])["description"] == "纸箱\x0b堆放"  # stored as sent
    value = xlsx_cell_of(client, office, case, "问题描述").value
    assert value.startswith("纸箱") and value.endswith("堆放")


# ── cases.csv and the filters ───────────────────────────────────────────────────────────────


def test_cases_csv_utf8_bom_and_values(client, world):
    r = client.get("/api/exports/cases.csv", headers=world.office)
    assert r.mimetype == "text/csv"
    assert r.mimetype_params.get("charset", "").lower() == "utf-8"
    assert "cases.csv" in r.headers["Content-Disposition"]
    rows = read_csv(r)
    assert numbers_in(rows) == sorted(world.by_number)
    by_number = {row[0]: dict(zip(HEADERS, row)) for row in rows}
    plain, case = by_number[world.cases["plain"]["number"]], world.cases["plain"]
    assert plain["问题描述"] == TRICKY_TEXT  # quoting survives commas, quotes and newlines
    assert plain["状态"] == "已核查结案" and plain["来源"] == "巡查" and plain["牵头单位"] == "市执法局北部分局"
    assert plain["上报时间"] == local_naive(case["received_at"]).strftime("%Y-%m-%d %H:%M")
    assert plain["期限"] == local_naive(case["due_at"]).strftime("%Y-%m-%d %H:%M")
    assert (float(plain["纬度"]), float(plain["经度"])) == (YANGHE["lat"], YANGHE["lon"])
    assert plain["返工次数"] == "0" and plain["提示"] == ""
    assert by_number[world.cases["far"]["number"]]["上报时间"] == "2026-01-15 10:00"
    assert by_number[world.cases["covert"]["number"]]["来源"] == "暗访"
    assert by_number[world.cases["submitted"]["number"]]["期限"] == ""
    assert "an.fang.yuan" not in r.get_data(as_text=True)


def test_filters_narrow_the_rows(client, world):
    n = {name: c["number"] for name, c in world.cases.items()}
    cases = [
        ({"unit": "jdb"}, ["covert"]),
        ({"unit": "zfj"}, ["plain", "far", "submitted"]),
        ({"category": "a1-piling"}, ["plain", "far"]),
        ({"action": 3}, ["public"]),
        ({"status": "submitted"}, ["public", "submitted"]),
        ({"status": "closed"}, ["plain"]),
        ({"status": "dispatched,closed"}, ["plain", "covert", "far"]),
        ({"source": "covert"}, ["covert"]),
        ({"source": "inspector"}, ["plain", "far", "submitted"]),
        ({"source": "public"}, ["public"]),
        ({"flag": "exif_gps_far"}, ["far"]),
        ({"overdue": "true"}, ["covert"]),
        ({"from": "2026-01-01T00:00:00+08:00", "to": "2026-02-01T00:00:00+08:00"}, ["far"]),
        ({"from": "2026-01-15T10:00:00+08:00", "to": "2026-01-15T10:00:01+08:00"}, ["far"]),  # inclusive from
        ({"from": "2026-01-01T00:00:00+08:00", "to": "2026-01-15T10:00:00+08:00"}, []),  # exclusive to
        ({"from": "2026-02-01T00:00:00+08:00"}, ["plain", "covert", "public", "submitted"]),
        # As the gallery sends a local day 2026-01-15: UTC instants, `to` the next day's start.
        ({"from": "2026-01-14T16:00:00.000Z", "to": "2026-01-15T16:00:00.000Z"}, ["far"]),
        ({"unit": "zfj", "source": "inspector", "status": "dispatched"}, ["far"]),
    ]
    problems = []
    for query, want in cases:
        got = numbers_in(read_csv(client.get("/api/exports/cases.csv", query_string=query,
                                             headers=world.office)))
        expected = sorted(n[w] for w in want)
        if got != expected:
            problems.append(f"{query}: {[world.by_number[g] for g in got]}, expected {want}")
    assert not problems, "\n".join(problems)
    for bad in ({"source": "anonymous"}, {"flag": "nope"}, {"status": "lost"}, {"from": "2026-01-01"}):
        r = client.get("/api/exports/cases.csv", query_string=bad, headers=world.office)
        assert r.status_code == 422, (bad, r.status_code)


# ── cases.geojson ───────────────────────────────────────────────────────────────────────────


def test_cases_geojson_is_rfc7946(client, world):
    r = client.get("/api/exports/cases.geojson", headers=world.office)
    assert r.status_code == 200
    assert r.mimetype == "application/geo+json"
    doc = json.loads(r.get_data())
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # RFC 7946 §4: WGS-84 only, no crs member
    features = doc["features"]
    assert len(features) == 5
    by_number = {f["properties"]["number"]: f for f in features}
    assert set(by_number) == set(world.by_number)
    for number, f in by_number.items():
        case = world.cases[world.by_number[number]]
        assert f["type"] == "Feature" and isinstance(f["properties"], dict)
        assert f["id"] == case["id"]
        geom = f["geometry"]
        assert geom["type"] == "Point"
        lon, lat = geom["coordinates"]  # longitude first
        assert all(isinstance(v, float) for v in (lon, lat))
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert (lon, lat) == (case["location"]["lon"], case["location"]["lat"])
        assert 100 < lon < 120 and 20 < lat < 30  # Liuzhou: a swapped pair would fail here
        assert f["properties"]["status"] == case["status"]
        assert f["properties"]["lead_unit"] == case["lead_unit"]["name"]
    assert by_number[world.cases["covert"]["number"]]["geometry"]["coordinates"] == [109.5012, 24.3801]

    r = client.get("/api/exports/cases.geojson", query_string={"source": "public"}, headers=world.office)
    assert [f["properties"]["number"] for f in json.loads(r.get_data())["features"]] == \
        [world.cases["public"]["number"]]


# ── evaluation.xlsx ─────────────────────────────────────────────────────────────────────────


def test_evaluation_xlsx(app, client, world):
    app.config["EVALUATION_MIN_CASES"] = 1
    today = datetime.now(CST).date()
    # The cases were made just now; a period of yesterday … tomorrow holds them whatever the hour.
    period = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    r = client.get("/api/exports/evaluation.xlsx", query_string=period, headers=world.office)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.mimetype == XLSX
    assert f"evaluation-{period['from']}-{period['to']}.xlsx" in r.headers["Content-Disposition"]
    expected = client.get("/api/evaluation", query_string=period, headers=world.office).get_json()
    # In the period: plain (zfj, closed) and covert (jdb, dispatched, overdue); far was received in
    # January, public and submitted are not assigned.
    assert [(u["unit"]["code"], u["assigned"]) for u in expected["units"]] == [("zfj", 1), ("jdb", 1)]

    wb = load_workbook(io.BytesIO(r.get_data()))
    assert wb.sheetnames == ["单位考评", "专项行动"]
    units, actions = wb["单位考评"], wb["专项行动"]
    for ws, headers in ((units, EVAL_HEADERS), (actions, EVAL_HEADERS[:-1])):
        assert [c.value for c in ws[1]] == headers
        assert all(c.font.b for c in ws[1]) and ws.freeze_panes == "A2"
        assert all((ws.column_dimensions[c.column_letter].width or 0) >= 8 for c in ws[1])
        for row in ws.iter_rows(min_row=2):
            for header, cell in zip(headers, row):
                if header in RATE_HEADERS and cell.value is not None:
                    assert "%" in cell.number_format, (ws.title, header, cell.number_format)
                    assert 0 <= cell.value <= 1

    keys = ["assigned", "closed", "closed_on_time", "open_overdue", "returned", "extended", "closure_rate",
            "on_time_rate", "rework_rate", "overdue_rate", "extension_rate", "median_hours_to_resolve",
            "score"]
    got = [[c.value for c in row] for row in units.iter_rows(min_row=2)]
    assert got == [[u["unit"]["name"], *(u[k] for k in keys), u["rank"]] for u in expected["units"]]
    assert got[0][:3] == ["市执法局北部分局", 1, 1] and got[1][:5] == ["阳和街道办事处", 1, 0, 0, 1]
    got = [[c.value for c in row] for row in actions.iter_rows(min_row=2)]
    assert got == [[a["action"]["name"], *(a[k] for k in keys)] for a in expected["actions"]]
    assert [row[0] for row in got] == ["市容环境卫生专项整治行动", "城中村及城乡结合部专项整治行动"]


def test_bad_period_is_refused(client, office):
    for url in ("/api/exports/evaluation.xlsx", "/api/evaluation"):
        r = client.get(url, query_string={"from": "2026-03-15", "to": "2026-03-01"}, headers=office)
        assert r.status_code == 422, url
        assert "to" in r.get_json()["errors"].get("query", r.get_json()["errors"]), r.get_json()
        assert client.get(url, query_string={"from": "2026-03-01"}, headers=office).status_code == 422
        assert client.get(url, query_string={"from": "yesterday", "to": "2026-03-01"},
                          headers=office).status_code == 422
    # A single day (to == from) is a valid period.
    r = client.get("/api/exports/evaluation.xlsx", query_string={"from": "2026-03-01", "to": "2026-03-01"},
                   headers=office)
    assert r.status_code == 200


# ── evidence.zip ────────────────────────────────────────────────────────────────────────────


def test_evidence_pack(client, world):
    r = client.get("/api/exports/evidence.zip", headers=world.office)
    assert r.status_code == 200
    assert r.mimetype == "application/zip"
    assert "evidence.zip" in r.headers["Content-Disposition"]
    z = zipfile.ZipFile(io.BytesIO(r.get_data()))
    assert z.testzip() is None
    manifest = json.loads(z.read("manifest.json"))["files"]
    names = set(z.namelist())
    # Every file but the manifest is listed in it, once, with its SHA-256 and size.
    assert sorted(m["file"] for m in manifest) == sorted(names - {"manifest.json"})
    for m in manifest:
        data = z.read(m["file"])
        assert hashlib.sha256(data).hexdigest() == m["sha256"], m["file"]
        assert len(data) == m["size"], m["file"]
    photos = {m["photo_id"]: m for m in manifest if "photo_id" in m}
    # Originals, byte for byte as uploaded (the sample keeps its EXIF), for every uploaded photo.
    assert set(photos) >= set(world.uploads)
    for photo_id, data in world.uploads.items():
        m = photos[photo_id]
        assert z.read(m["file"]) == data, m["file"]
        assert m["file"].startswith(m["case"] + "/")
    plain = world.cases["plain"]
    roles = sorted(m["role"] for m in manifest if m["case"] == plain["number"] and "role" in m)
    assert roles == ["after", "before"]
    # The public complainant's photo is there too; the declared-but-never-uploaded one is not.
    public = [m for m in photos.values() if m["case"] == world.cases["public"]["number"]]
    assert [z.read(m["file"]) for m in public] == [world.public_photo]
    assert not [m for m in photos.values() if m["case"] == world.cases["submitted"]["number"]]
    assert f"{world.cases['submitted']['number']}/events.json" in names

    # The event history of each case, in order, as the office's own case view lists it.
    for name, case in world.cases.items():
        history = json.loads(z.read(f"{case['number']}/events.json"))
        assert [(e["kind"], e["from"], e["to"]) for e in history] == \
            [(e["kind"], e["from"], e["to"]) for e in case["events"]], name
        assert [e["at"] for e in history] == [datetime.fromisoformat(e["at"]).isoformat() for e in case["events"]]
    history = json.loads(z.read(f"{plain['number']}/events.json"))
    assert [e["kind"] for e in history] == ["create", "dispatch", "accept", "resolve", "verify"]
    assert [e["to"] for e in history] == ["submitted", "dispatched", "accepted", "resolved", "closed"]
    assert [e["actor"] for e in history] == ["zhang.san", None, "zfj.liaison", "zfj.liaison", "chuang.wei.ban"]
    assert history[3]["note"] == "杂物已清理"

    # The same filters as the other exports.
    r = client.get("/api/exports/evidence.zip", query_string={"status": "closed"}, headers=world.office)
    z = zipfile.ZipFile(io.BytesIO(r.get_data()))
    cases = {json_file.split("/")[0] for json_file in z.namelist() if json_file != "manifest.json"}
    assert cases == {plain["number"]}


# ── who may export ──────────────────────────────────────────────────────────────────────────

EXPORTS = ["/api/exports/cases.xlsx", "/api/exports/cases.csv", "/api/exports/cases.geojson",
           "/api/exports/evidence.zip", "/api/exports/evaluation.xlsx?from=2026-03-01&to=2026-03-31"]


def test_exports_are_for_the_office(client, make_user):
    people = {role: make_user(role, unit="zfj" if role == "liaison" else None)[1]
              for role in ("inspector", "liaison", "office", "admin")}
    for url in EXPORTS:
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.get_json()["code"] == "unauthorized"
        r = client.get(url, headers={"Authorization": "Bearer not-a-token"})
        assert r.status_code == 401, url
        for role in ("inspector", "liaison"):
            r = client.get(url, headers=people[role])
            assert r.status_code == 403, (url, role)
            assert r.get_json()["code"] == "forbidden"
        for role in ("office", "admin"):
            assert client.get(url, headers=people[role]).status_code == 200, (url, role)
