"""`python -m build_pipeline --env dev [--kind training|batch] --out build/dev/pipeline-definition.json`

--kind training (default) writes the training pipeline (build/<env>/pipeline-definition.json),
--kind batch the batch-scoring pipeline (build/<env>/batch-definition.json, build_pipeline/batch.py).

Offline and deterministic: the same code, environment file, image references and git sha give a
byte-identical file, so a diff of two definitions shows exactly what a change does to the pipeline.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from build_pipeline import images
from definition_check import validate
from env_config import EnvConfigError, load

# kind -> (module with build(config, images, git_sha), default file name under build/<env>/)
KINDS = {
    "training": ("build_pipeline.definition", "pipeline-definition.json"),
    "batch": ("build_pipeline.batch", "batch-definition.json"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m build_pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--env", required=True, help="environment name (environments/<env>.yaml)")
    parser.add_argument(
        "--kind", choices=sorted(KINDS), default="training", help="which pipeline (default training)"
    )
    parser.add_argument("--out", type=Path, help="output file (default build/<env>/<kind's file>)")
    parser.add_argument("--image-tag", help="image tag (default: git sha of HEAD)")
    parser.add_argument("--job-image-digest", help="sha256:... of the job image (pins it)")
    parser.add_argument("--inference-image-digest", help="sha256:... of the inference image")
    parser.add_argument("--git-sha", help="recorded as lineage (default: git sha of HEAD)")
    return parser.parse_args(argv)


def generate(
    env: str,
    tag: str | None = None,
    job_digest: str | None = None,
    inference_digest: str | None = None,
    git_sha: str | None = None,
    environments_dir: Path | None = None,
    kind: str = "training",
) -> str:
    """The definition as canonical JSON text (sorted keys, two-space indent, trailing newline)."""
    import importlib

    from build_pipeline.offline import offline_aws

    build = importlib.import_module(KINDS[kind][0]).build
    config = load(env, environments_dir) if environments_dir else load(env)
    sha = git_sha or images.git_sha()
    refs = images.resolve(config, tag or sha, job_digest, inference_digest)
    with offline_aws(config.region):
        definition = build(config, refs, sha)
    return json.dumps(definition, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.disable(logging.WARNING)  # the SDK's INFO/WARNING chatter is not for this CLI's users
    try:
        text = generate(args.env, args.image_tag, args.job_image_digest,
                        args.inference_image_digest, args.git_sha, kind=args.kind)
    except (EnvConfigError, images.ImageReferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = args.out or Path("build") / args.env / KINDS[args.kind][1]
    out.parent.mkdir(parents=True, exist_ok=True)
    problems = validate(json.loads(text))
    if problems:
        # Fail fast: nothing downstream (plan, deploy, the local runner) gets a definition that
        # SageMaker's API model refuses. The rejected text is kept beside it for a look.
        rejected = out.with_name(out.stem + ".invalid.json")
        rejected.write_text(text, encoding="utf-8")
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: the generated definition is invalid ({len(problems)} problems above); "
              f"{out} was not written, the rejected one is {rejected}", file=sys.stderr)
        return 1
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, out)  # a concurrent reader sees the old file or the new one, never half
    print(f"wrote {out} ({len(json.loads(text)['Steps'])} top-level steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
