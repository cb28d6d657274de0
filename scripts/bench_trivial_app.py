"""The framework's own ceiling for scripts/bench.py: a Flask JSON endpoint that does nothing else."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.put("/echo/<uuid:item_id>")
def echo(item_id):
    """Parse the JSON body and answer with a small JSON document, as the case endpoint does."""
    body = request.get_json()
    return jsonify(id=str(item_id), fields=len(body)), 201
