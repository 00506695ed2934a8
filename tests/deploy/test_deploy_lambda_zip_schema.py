"""The Lambda zip alone (deploy/, no jsonschema, no PyYAML) refuses a malformed event: the
event schema check needs nothing outside the zip (why: deploy/event_schema.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from release import lambda_zip


def test_the_zip_alone_refuses_a_malformed_event(tmp_path, lambda_environ):
    archive = tmp_path / "deploy.zip"
    lambda_zip.build(archive)
    probe = (
        "import json, sys;"
        "import deploy.lambda_handler as h;"
        "result = h.handler({'detail-type': h.DETAIL_TYPE, 'detail': 'oops'});"
        "assert h.__file__.startswith(sys.argv[1]), h.__file__;"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'jsonschema', 'yaml'});"
        "print(json.dumps([result, loaded]))"
    )
    result = subprocess.run(
        [sys.executable, "-s", "-c", probe, str(archive)],
        cwd=tmp_path,
        # the zip first on the import path, as the Lambda runtime puts the function's code
        env={**lambda_environ, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(archive)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    answer, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == "refused" and "event.detail must be an object" in answer["reason"]
    assert loaded == [], "the zip needs neither jsonschema nor PyYAML"
