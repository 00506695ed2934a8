"""Where ENV=local keeps its state: everything under one folder (default <repo>/.local).

LOCAL_RUNNER_HOME moves it (the tests give each case its own folder). Layout:
  s3/<bucket>/<key>        the object store: every s3:// URI of the definition maps here
  runs/<execution-id>/     one folder per execution: execution.json, <step>/opt_ml, <step>/*.log
  cache/<pipeline>/<step>/ step cache entries (a successful step's properties, by cache key)
  registry/<group>/        the model registry (versions/<n>.json, champion.json, .lock)
  endpoint/                the local endpoint's state (proxy.json, backend.json, models/, logs)
"""

from __future__ import annotations

import os
from pathlib import Path

from env_config import REPO_ROOT


def home() -> Path:
    value = os.environ.get("LOCAL_RUNNER_HOME")
    return Path(value).resolve() if value else REPO_ROOT / ".local"


def s3_root() -> Path:
    return home() / "s3"


def runs_dir() -> Path:
    return home() / "runs"


def cache_dir() -> Path:
    return home() / "cache"


def registry_dir() -> Path:
    return home() / "registry"


def endpoint_dir() -> Path:
    return home() / "endpoint"
