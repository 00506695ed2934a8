"""release: `make deploy ENV=dev|staging|prod`, what the release workflow does, for a person at a terminal.

The steps, in the order CI runs them (.github/workflows/release.yml calls this same package: `python -m release --env <env>`):

  1. preflight   terraform on PATH, AWS credentials, the account and region of
                 environments/<env>.yaml, a Docker engine (or the image digests given instead)
  2. images      build and push the job and inference images (tag = git sha, immutable), or take
                 JOB_IMAGE_DIGEST / INFERENCE_IMAGE_DIGEST and check that ECR holds them
  3. definition  `make definition` with those digests -> build/<env>/pipeline-definition.json
  4. apply       `make apply` (Terraform: the pipeline, triggers, endpoint, ... of the environment)
  5. code        upload training_code/ to the content-addressed code URI the definition names
  6. pipeline    start a pipeline execution (only with START_PIPELINE=1; CI does it for dev)

DRY_RUN=1 prints every step, its commands and the values it would use, calls nothing on AWS or
Docker, and exits 0: the plan is readable offline. Each failing check says what is wrong and what
to do next.
"""
