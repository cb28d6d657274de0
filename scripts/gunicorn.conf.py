"""gunicorn settings; override on the command line (e.g. --bind) or with GUNICORN_CMD_ARGS."""
import multiprocessing
import os

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
