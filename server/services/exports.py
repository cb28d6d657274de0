"""Exports for the office: cases as xlsx / CSV (Excel- and WPS-friendly) / GeoJSON, the evaluation
as xlsx, and an evidence pack (originals + SHA-256 manifest + event history) as a zip."""
import csv
import hashlib
import io
import json
import tempfile
import zipfile
from zoneinfo import ZoneInfo

from flask import current_app
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ..errors import ApiError
from ..extensions import db
from ..models import Event
from .case_query import filtered_cases
from .open311 import STATUS_NOTES
from .photo_store import get_store

MAX_ROWS = 100_000
MAX_PACK_CASES = 500
SOURCE_LABELS = {"inspector": "巡查", "public": "群众投诉", "open311": "Open311", "office": "创卫办"}
COLUMNS = [  # header, width, value(case, viewer_is_staff)
    ("编号", 14, lambda c: c.number),
    ("状态", 12, lambda c: STATUS_NOTES.get(c.status, c.status)),
    ("来源", 10, lambda c: "暗访" if c.covert else SOURCE_LABELS.get(c.source, c.source)),
    ("专项行动", 26, lambda c: c.action.name_zh),
    ("问题类型", 22, lambda c: c.category.name_zh),
    ("牵头单位", 22, lambda c: c.lead_unit.name),
    ("配合单位", 40, lambda c: "、".join(u.name for u in c.cooperating_units)),
    ("问题描述", 40, lambda c: c.description),
    ("地址", 24, lambda c: c.address or ""),
    ("纬度", 11, lambda c: c.lat),
    ("经度", 11, lambda c: c.lon),
    ("上报时间", 18, lambda c: c.received_at),
    ("期限", 18, lambda c: c.due_at),
    ("返工次数", 9, lambda c: c.rework_count),
    ("延期次数", 9, lambda c: c.extension_count),
    ("提示", 30, lambda c: "；".join(f.get("message", f.get("code", "")) for f in (c.flags or []))),
]


def _local(value):
    # Excel has no time zones: write the office's wall-clock time as a real date value.
    if hasattr(value, "astimezone"):
        return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).replace(tzinfo=None)
    return value


def _cases(user, filters):
    q = filtered_cases(user, filters).order_by(db.text("pk"))
    rows = db.session.execute(q.limit(MAX_ROWS + 1)).scalars().all()
    if len(rows) > MAX_ROWS:
        raise ApiError(422, "too_many_rows", f"导出超过 {MAX_ROWS} 行，请缩小筛选范围")
    return rows


FORMULA_START = ("=", "+", "-", "@")


def _safe_text(value):
    """Text from the field may contain anything: drop characters xlsx forbids."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _csv_text(value):
    # A spreadsheet would run "=…", "+…", "-…" or "@…" as a formula (CSV injection): quote it.
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _sheet(ws, headers, widths, rows):
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in rows:
        ws.append([_safe_text(_local(v)) for v in row])
        for cell in ws[ws.max_row]:
            if hasattr(cell.value, "year"):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text typed by a person is never a formula


def cases_xlsx(user, filters):
    """The filtered cases as an xlsx workbook (bytes)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "案件"
    _sheet(ws, [h for h, _, _ in COLUMNS], [w for _, w, _ in COLUMNS],
           ([f(c) for _, _, f in COLUMNS] for c in _cases(user, filters)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cases_csv(user, filters):
    """The filtered cases as CSV in UTF-8 with a BOM, which Excel and WPS read as UTF-8."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([h for h, _, _ in COLUMNS])
    for c in _cases(user, filters):
        row = []
        for _, _, f in COLUMNS:
            v = _local(f(c))
            row.append(v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else ("" if v is None else _csv_text(v)))
        writer.writerow(row)
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def cases_geojson(user, filters):
    """RFC 7946 FeatureCollection: WGS-84, [lon, lat] order; cases without a point are left out."""
    features = [{"type": "Feature", "id": str(c.id),
                 "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                 "properties": {"number": c.number, "status": c.status, "category": c.category.code,
                                "category_name": c.category.name_zh, "lead_unit": c.lead_unit.name,
                                "received_at": c.received_at.isoformat(),
                                "due_at": c.due_at.isoformat() if c.due_at else None}}
                for c in _cases(user, filters) if c.lat is not None and c.lon is not None]
    return {"type": "FeatureCollection", "features": features}


EVALUATION_COLUMNS = [("单位", 24, "name"), ("派遣案件", 10, "assigned"), ("已结案", 9, "closed"),
                      ("按期处置", 10, "closed_on_time"), ("超期未结", 10, "open_overdue"),
                      ("返工案件", 10, "returned"), ("延期案件", 10, "extended"),
                      ("处置率", 9, "closure_rate"), ("按期处置率", 11, "on_time_rate"),
                      ("返工率", 9, "rework_rate"), ("超期率", 9, "overdue_rate"),
                      ("延期率", 9, "extension_rate"), ("处置中位时长(小时)", 16, "median_hours_to_resolve"),
                      ("得分", 8, "score"), ("排名", 8, "rank")]


def evaluation_xlsx(result):
    """The evaluation (units sheet and actions sheet) as an xlsx workbook (bytes)."""
    wb = Workbook()
    for title, rows, name in (("单位考评", result["units"], lambda r: r["unit"]["name"]),
                              ("专项行动", result["actions"], lambda r: r["action"]["name"])):
        ws = wb.active if title == "单位考评" else wb.create_sheet()
        ws.title = title
        cols = EVALUATION_COLUMNS if title == "单位考评" else EVALUATION_COLUMNS[:-1]
        _sheet(ws, [h for h, _, _ in cols], [w for _, w, _ in cols],
               ([name(r) if key == "name" else r.get(key) for _, _, key in cols] for r in rows))
        for row in ws.iter_rows(min_row=2):
            for cell, (_, _, key) in zip(row, cols):
                if key.endswith("_rate") and cell.value is not None:
                    cell.number_format = "0.0%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def evidence_pack(user, filters):
    """A zip (file object): each case's originals, its event history, manifest.json with every SHA-256."""
    cases = _cases(user, filters)
    if len(cases) > MAX_PACK_CASES:
        raise ApiError(422, "too_many_cases", f"证据包最多 {MAX_PACK_CASES} 个案件，请缩小筛选范围")
    store = get_store(current_app)
    # Originals can add up to gigabytes: spill to disk past 32 MB instead of holding it all in memory.
    buf = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    manifest = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for c in cases:
            for i, p in enumerate([p for p in c.photos if p.received], 1):
                ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(p.content_type, "heic")
                name = f"{c.number}/{p.role}-{i}-{p.sha256[:8]}.{ext}"
                z.write(store.blob_path(p.sha256), name, compress_type=zipfile.ZIP_STORED)
                manifest.append({"file": name, "sha256": p.sha256, "size": p.size, "case": c.number,
                                 "photo_id": str(p.id), "role": p.role})
            events = db.session.execute(select(Event).where(Event.case_pk == c.pk)
                                        .order_by(Event.at, Event.id)).scalars().all()
            history = json.dumps([{"kind": e.kind, "at": e.at.isoformat(), "from": e.from_status,
                                   "to": e.to_status, "actor_role": e.actor_role,
                                   "actor": e.actor.username if e.actor and user.is_staff else None,
                                   "note": e.note, "data": e.data} for e in events],
                                 ensure_ascii=False, indent=1).encode()
            z.writestr(f"{c.number}/events.json", history)
            manifest.append({"file": f"{c.number}/events.json", "sha256": hashlib.sha256(history).hexdigest(),
                             "size": len(history), "case": c.number})
        z.writestr("manifest.json", json.dumps({"files": manifest}, ensure_ascii=False, indent=1))
    buf.seek(0)
    return buf


def liaison_roster_xlsx(users):
    """联络员名单: each unit's liaisons with their account and last sync."""
    wb = Workbook()
    ws = wb.active
    ws.title = "联络员名单"
    liaisons = sorted((u for u in users if u.role == "liaison"), key=lambda u: (u.unit.name if u.unit else "", u.username))
    _sheet(ws, ["单位", "姓名", "账号", "状态", "最近同步"], [26, 16, 18, 8, 18],
           ([u.unit.name if u.unit else "", u.display_name or "", u.username, "启用" if u.active else "停用",
             u.last_sync_at] for u in liaisons))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
