"""WSGI entry point: gunicorn -c scripts/gunicorn.conf.py wsgi:app"""
from server import create_app

app = create_app()
