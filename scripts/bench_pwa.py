"""Issue 6, figure 5: the PWA's weight on first load and its Lighthouse scores (mobile preset).

Lighthouse is a benchmark-only tool: scripts/bench-tools/package.json pins it (12.2.3, the last
release that runs on Node 20) and this module installs it with `npm ci` on first use.
"""
import gzip
import http.client
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from bench_io import BenchServer

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "scripts" / "bench-tools"
LIGHTHOUSE = TOOLS / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = "/usr/bin/chromium"


def _get(port, path, gzip_ok=True):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Encoding"), body


def shell_weight(port):
    """Bytes of every file the service worker precaches, as sent (gzip) and as stored."""
    status, enc, body = _get(port, "/sw.js")
    source = (gzip.decompress(body) if enc == "gzip" else body).decode()
    urls = json.loads(re.search(r"const SHELL = (\[.*?\]);", source).group(1))
    sent = raw = len(body)
    raw = len(source.encode())
    for url in urls:
        status, enc, body = _get(port, url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        sent += len(body)
        raw += len(gzip.decompress(body)) if enc == "gzip" else len(body)
    return len(urls) + 1, sent, raw


def first_load(port):
    """Requests and encoded bytes the sign-in page's first visit fetches (no cache), per Chromium."""
    from playwright.sync_api import sync_playwright
    seen = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
        page = context.new_page()
        page.on("requestfinished", lambda req: seen.append(req))
        page.goto(f"http://127.0.0.1:{port}/", wait_until="networkidle")
        page.get_by_label("用户名").wait_for()
        sizes = [req.sizes() for req in seen]
        browser.close()
    return len(seen), sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)


def lighthouse(port):
    """Lighthouse mobile scores (0–100) for performance, accessibility, best practices."""
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error"],
                       check=True)
    out = Path(tempfile.mkdtemp(prefix="xuncha-lh-")) / "report.json"
    subprocess.run(["node", str(LIGHTHOUSE), f"http://127.0.0.1:{port}/", "--quiet", "--output=json",
                    f"--output-path={out}", "--only-categories=performance,accessibility,best-practices",
                    "--chrome-flags=--headless=new --no-sandbox"],
                   check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=240)
    report = json.loads(out.read_text())
    ROOT.joinpath("test-artifacts").mkdir(exist_ok=True)
    ROOT.joinpath("test-artifacts", "lighthouse.json").write_text(out.read_text())
    scores = {key: round(cat["score"] * 100) for key, cat in report["categories"].items()}
    failing = [a["id"] for a in report["audits"].values()
               if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") == "binary"]
    return scores, failing


def pwa_weight(with_lighthouse=True):
    """Rows for the table: shell bytes, first-load requests and bytes, Lighthouse scores."""
    server = BenchServer(workers=2)
    try:
        files, sent, raw = shell_weight(server.live.port)
        requests, loaded = first_load(server.live.port)
        rows = [
            ("PWA weight", f"whole app shell, {files} files, gzip (baseline: uncompressed)", sent / 1024,
             raw / 1024, "KB", "≤ 150 KB", sent <= 150 * 1024),
            ("PWA weight", f"first visit, sign-in page: {requests} requests", loaded / 1024, None, "KB",
             "≤ 150 KB", loaded <= 150 * 1024),
        ]
        if with_lighthouse:
            scores, failing = lighthouse(server.live.port)
            for key in ("performance", "accessibility", "best-practices"):
                rows.append(("Lighthouse", f"{key} (mobile)", scores[key], None, "score", "≥ 95", scores[key] >= 95))
            if failing:
                rows.append(("Lighthouse", "failed audits: " + ", ".join(failing), None, None, "", "", None))
        return rows
    finally:
        server.stop()
