"""ENV=local: run the generated SageMaker pipeline definition (or any other) here, without AWS
or Docker.

The package sits beside build_pipeline/ rather than inside it. build_pipeline/ is the only
place that imports the SageMaker SDK, and it *writes* the definition; this package only *reads*
the JSON that goes to AWS and imports nothing from the SDK. Keeping the reader apart from the
writer means a wiring mistake in the definition (a wrong property path, a JsonGet that does not
resolve) fails here, exactly as it would on SageMaker, instead of being papered over by shared
Python objects.

Modules: objectstore (s3:// as folders), expressions (Get, Std:Join, Std:JsonGet, conditions),
jobs (Processing and Training as subprocesses with the /opt/ml contract), executor (graph,
parallel scheduling, caching, progress), the other step kinds (transform, tuning, lambda_step,
stubs; settings reads their part of environments/local.yaml), serving and handler_server (a
model's own inference code, or serve.py), lineage, registry (model package groups with a file
lock), endpoint (front proxy + the model's server), smoke, lifecycle (`make deploy ENV=local`),
cli (`python -m local_runner ...`).
"""
