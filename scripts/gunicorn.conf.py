"""gunicorn settings; override on the command line (e.g. --bind) or with GUNICORN_CMD_ARGS."""
import multiprocessing
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

bind = os.environ.get("XUNCHA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("XUNCHA_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Threads let one worker keep serving while another request streams a large photo in.
threads = int(os.environ.get("XUNCHA_THREADS", 4))
worker_class = "gthread"
timeout = 120  # a 25 MB photo over a slow phone link takes a while
graceful_timeout = 30
keepalive = 5
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse to serve with the committed or a weak SECRET_KEY (scripts/start.sh makes one per install)."""
    from server.config import load_config, secret_key_problem
    problem = secret_key_problem(load_config()["SECRET_KEY"])
    if problem:
        server.log.error("refusing to start: %s. Set SECRET_KEY in the environment, e.g. "
                         "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')",
                         problem)
        sys.exit(78)  # EX_CONFIG: systemd and supervisors show a configuration error
