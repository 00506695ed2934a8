"""python -m local_runner.lambda_host FILE FUNCTION RESULT: call FUNCTION(event, context) from FILE
with the JSON event on stdin; write what it returns to RESULT as JSON (stdout stays the handler's
own log, as in CloudWatch)."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import uuid
from pathlib import Path


class Context:
    """The attributes of Lambda's context object that handlers commonly read."""

    def __init__(self, name: str):
        self.function_name = name
        self.function_version = "$LATEST"
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 128
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{name}"
        self._deadline = time.time() + 900

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0.0, self._deadline - time.time()) * 1000)


def main(argv: list[str]) -> int:
    file, function, result = Path(argv[0]), argv[1], Path(argv[2])
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = getattr(module, function, None)
    if handler is None:
        print(f"{file} has no function '{function}'.", file=sys.stderr)
        return 1
    returned = handler(json.loads(sys.stdin.read() or "{}"), Context(file.stem))
    result.write_text(json.dumps(returned, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
