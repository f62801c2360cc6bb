"""Fixtures for the API tests: a whole Printyard from tests/harness.py.

server       the running Printyard (bin, config, env, psql(), run(), pg_stop()/pg_start(),
             serve_pid, worker_pids(), secret_key(), sql_dir, body_max, limits …)
base_url     http://127.0.0.1:<port> of its nginx
api          a requests.Session on base_url without cookies; api.session() keeps them
owner_token  JWT of the user `owner`
make_user    make_user(role) -> (username, password, token)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (  # noqa: E402,F401  (fixtures and hooks are found by name)
    api, base_url, make_user, owner_token, pytest_sessionfinish, server)
