"""The access proof, end to end: render and record (cached under build/proof/), translate every
request into IAM checks, add the must-deny cases, evaluate all of them in one node process with
@cloud-copilot/iam-simulate, and report every wrong decision by principal, action, resource and
the statement that decided."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proof import cases, code_recordings, service_roles, terraform_world, trust
from proof.boto_recorder import read_calls
from proof.moto_server import ProofError, read_recording
from proof.pipeline_requests import Definition
from proof.planned_requests import planned_requests
from proof.principals import SERVICE_PRINCIPALS, Principal, principals
from proof.rendered import Account
from proof.requests import Request, from_moto_recording
from proof.translate import Check, Translator

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILD = REPO_ROOT / "build" / "proof"
MOTO_TEST_ACCOUNT = "123456789012"  # tests/deploy run in moto's default account
# What the render and the recordings depend on (a change re-renders; `--refresh` forces it, e.g.
# after changing how proof/ records).
WORLD_INPUTS = (
    "terraform", "environments", "release", "code_bundle", "training_code",
    "terraform/tests/fixtures/dev/pipeline-definition.json",
    "terraform/tests/fixtures/staging/pipeline-definition.json",
    "proof/terraform_world.py",
)  # fmt: skip
DEPLOY_INPUTS = (
    "deploy",
    "tests/deploy",
    "environments",
    "proof/pytest_recorder.py",
    "proof/boto_recorder.py",
)


def fingerprint(paths: tuple[str, ...], extra: list[Path] = ()) -> str:
    digest = hashlib.sha256()
    files: list[Path] = []
    for name in paths:
        path = REPO_ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [
                p for p in path.rglob("*")
                if p.is_file() and not {".terraform", "__pycache__"} & set(p.parts)
                and not (name == "terraform" and "tests" in p.relative_to(path).parts)
                and not p.name.endswith((".tfstate", ".tfplan", ".pyc"))
            ]  # fmt: skip
    for path in sorted(set(files)) + list(extra):
        digest.update(
            str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path).encode()
        )
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Inputs:
    """Everything the evaluation needs: the rendered account and every request."""

    account: Account
    requests: list[Request]
    configs: dict[str, dict]
    principals: dict[str, Principal]


def load_configs() -> dict[str, dict]:
    import yaml

    return {
        path.stem: yaml.safe_load(path.read_text())
        for path in sorted((REPO_ROOT / "environments").glob("*.yaml"))
        if path.stem != "local"
    }


def world_directory(refresh: bool, log: Callable[[str], None]) -> Path:
    """Render + record once per change of Terraform, environments or the recorded code."""
    directory = BUILD / f"world-{fingerprint(WORLD_INPUTS)}"
    if (directory / "complete").exists() and not refresh:
        return directory
    with _exclusive(BUILD / "render.lock"):  # one render at a time (parallel tests, two makes)
        if (directory / "complete").exists() and not refresh:
            return directory
        return _render(directory, log)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _render(directory: Path, log: Callable[[str], None]) -> Path:
    if directory.exists():
        shutil.rmtree(directory)
    configs = load_configs()
    log(
        f"proof: rendering Terraform and recording requests on moto into {directory.relative_to(REPO_ROOT)} (minutes, once per change)"
    )

    def after_apply(moto, world) -> None:
        code_recordings.record_release(moto, "dev", world.recording("release-dev"))

    # The roots are applied with terraform/tests' definitions: the pipeline resource's content
    # changes no permission, and a new commit (a new git sha in the generated definition) must
    # not re-render. The execution role's requests come from the generated definition itself.
    fixtures = REPO_ROOT / "terraform" / "tests" / "fixtures"
    definitions = {env: fixtures / env / "pipeline-definition.json" for env in ("dev", "staging")}
    terraform_world.render(directory, definitions, configs["dev"], after_apply=after_apply)
    shutil.rmtree(directory / "work", ignore_errors=True)
    (directory / "complete").write_text("")
    return directory


def deploy_recording(refresh: bool, log: Callable[[str], None]) -> Path:
    path = BUILD / f"deploy-tests-{fingerprint(DEPLOY_INPUTS)}.jsonl"
    if path.exists() and not refresh:
        return path
    with _exclusive(BUILD / "deploy-tests.lock"):
        if path.exists() and not refresh:
            return path
        return _record_deploy(path, log)


def _record_deploy(path: Path, log: Callable[[str], None]) -> Path:
    log("proof: recording deploy/'s requests from its moto tests")
    partial = path.with_suffix(".partial")
    code_recordings.record_deploy_tests(partial)
    partial.replace(path)
    return path


# Who runs deploy/ for each environment: the deploy workflow (bootstrap's GitHub deploy role) and,
# where the environment's root was applied here, its own deploy role (also the Lambda's).
DEPLOY_PRINCIPALS = {
    "dev": ("deploy/dev", "github-deploy/dev"),
    "staging": ("deploy/staging", "github-deploy/staging"),
    "prod": ("github-deploy/prod",),
}


def _environment_named(params: dict, configs: dict[str, dict]) -> str | None:
    """The environment whose bucket a call names (deploy/ helpers that get only a bucket)."""
    text = json.dumps(params)
    for env, config in configs.items():
        if config["resources"]["artifact_bucket"] in text:
            return env
    return None


def _retarget(value: Any, account: str) -> Any:
    """deploy/'s tests run in moto's account 123456789012: the same calls in the environment's."""
    text = json.dumps(value).replace(MOTO_TEST_ACCOUNT, account)
    return json.loads(text)


def collect(definition: Path, refresh: bool = False, log: Callable[[str], None] = print) -> Inputs:
    if not definition.exists():
        raise ProofError(
            f"{definition} is missing: run `make definition ENV=dev` first (make proof does)."
        )
    configs = load_configs()
    dev = configs["dev"]
    account_id, region = str(dev["aws"]["account_id"]), dev["aws"]["region"]
    world = terraform_world.World(world_directory(refresh, log))
    states = [world.state("bootstrap")] + [
        world.state(env) for env in terraform_world.APPLIED_ENVIRONMENTS
    ]
    account = Account.from_states(account_id, region, states)

    requests: list[Request] = []
    for name, principal in (
        ("terraform-apply-dev", "github-deploy/dev"),
        ("terraform-apply-staging", "github-deploy/staging"),
        ("terraform-plan-dev", "github-plan/dev"),
    ):
        for entry in read_recording(world.recording(name)):
            request = from_moto_recording(entry, principal, name.replace("-", " ", 1))
            if request is not None:
                requests.append(request)
    for call in read_calls(world.recording("release-dev")):
        requests.append(
            Request(
                "github-deploy/dev",
                call["service"],
                call["operation"],
                call["params"],
                f"make deploy ENV=dev ({call['caller']})",
            )
        )
    for call in read_calls(deploy_recording(refresh, log)):
        params = _retarget(call["params"], account_id)
        env = call.get("environment") or _environment_named(params, configs)
        source = f"deploy/ ({call['caller']}, {env})"
        failed = int(call.get("status", 200)) >= 300
        for principal in DEPLOY_PRINCIPALS.get(env, ()):
            requests.append(
                Request(principal, call["service"], call["operation"], params, source,
                        environment=env, failed=failed)
            )  # fmt: skip
    pipeline = Definition(
        json.loads(definition.read_text()),
        "execution/dev",
        str(
            definition.relative_to(REPO_ROOT)
            if definition.is_relative_to(REPO_ROOT)
            else definition
        ),
        account_id,
    )
    requests += pipeline.requests(region)
    roles = principals(dev["project"], dev["resources"]["execution_role_name"])
    by_role = {principal.role: key for key, principal in roles.items()}
    monitored = world.planned(f"{terraform_world.MONITORED}-monitoring")
    requests += service_roles.trigger_requests([*states, monitored], account, by_role)
    requests += service_roles.monitor_requests([*states, monitored], account, by_role)
    # What the GitHub deploy role's apply sends for the monitoring resources moto cannot create
    requests += planned_requests(
        json.loads((world.directory / f"plan-{terraform_world.MONITORED}-monitoring.json").read_text()),
        f"github-deploy/{terraform_world.MONITORED}", account_id, region,
        f"terraform apply {terraform_world.MONITORED} with a deployed package (planned)",
    )  # fmt: skip
    return Inputs(account, requests, configs, roles)


# -- evaluation ------------------------------------------------------------------------------------
@dataclass
class Outcome:
    check: Check
    result: str
    deciding: list[dict]
    gaps: list[str]
    error: str = ""

    @property
    def correct(self) -> bool:
        if self.result == "Error":
            return False
        return (self.result == "Allowed") == (self.check.expect == "Allowed")


# The prefixes under <bucket>/<prefix>/ (docs/interfaces.md, "S3 layout").
S3_LAYOUT = {"raw", "code", "processed", "models", "cache", "deploy", "datacapture", "champion"}


def owner(resource: str, configs: dict[str, dict], account: Account) -> str | None:
    """The environment whose resource an ARN names (None: no environment's name)."""
    for env, config in configs.items():
        res = config["resources"]
        names = [
            f":::{res['artifact_bucket']}/", f":::{res['artifact_bucket']}",
            f":endpoint/{res['endpoint_name'].lower()}", f":endpoint-config/{res['endpoint_name'].lower()}",
            f":model/{res['endpoint_name'].lower()}", f"model-package/{res['model_package_group']}/",
            f"model-package-group/{res['model_package_group']}", f":pipeline/{res['pipeline_name'].lower()}",
            f"/{config['project']}-{env}-", f":{config['project']}-{env}-", f":role/{res['execution_role_name']}",
        ]  # fmt: skip
        if any(name in resource or resource.endswith(name.rstrip("/")) for name in names):
            return env
        if account.key_arn(res["kms_key_alias"]) == resource:
            return env
    return None


def test_invented(
    request: Request, checks: list[Check], configs: dict[str, dict], account: Account
) -> str:
    """Why a deploy/ test call says nothing about AWS (empty: it does): the call failed in moto
    (a test of an error path, e.g. a missing bucket), or it names a resource that belongs to no
    environment or to another one than the code acted for (a name the test made up)."""
    if request.failed:
        return "moto answered it with an error (a test of an error path)"
    allowed = {
        request.environment,
        configs.get(request.environment, {}).get("approval", {}).get("promote_from"),
    }
    for check in checks:
        where = (
            check.resource[len("arn:aws:s3:::") :]
            if check.resource.startswith("arn:aws:s3:::")
            else ""
        )
        key = where.partition("/")[2] or str(check.context.get("s3:prefix", ""))
        if where and len(key.split("/")) > 1 and key.split("/")[1] not in S3_LAYOUT:
            return f"it names s3://{where.partition('/')[0]}/{key}, outside the S3 layout of docs/interfaces.md"
        if check.resource == "*" or check.action == "iam:PassRole":
            continue
        env = owner(check.resource, configs, account)
        if env not in allowed:
            return f"it names {check.resource}, which is not {request.environment}'s"
    return ""


def all_checks(inputs: Inputs, skipped: list[str] | None = None) -> list[Check]:
    """Every decision the proof asks for. `skipped` receives the deploy/ test calls on names a
    test invented (printed by the CLI, never silently dropped)."""
    translator = Translator(inputs.account)
    allowed: dict[tuple, Check] = {}
    for request in inputs.requests:
        checks = translator.checks(request)
        if request.environment is not None:
            reason = test_invented(request, checks, inputs.configs, inputs.account)
            if reason:
                if skipped is not None:
                    skipped.append(
                        f"{request.principal} {request.service}:{request.operation} from {request.source}: {reason}"
                    )
                continue
        for check in checks:
            allowed.setdefault(check.key(), check)
    checks = list(allowed.values())
    denied: dict[tuple, Check] = {}
    for check in cases.must_deny(checks, inputs.account, inputs.configs):
        denied.setdefault(check.key(), check)
    for check in service_roles.must_deny(
        checks, inputs.account, inputs.configs, set(SERVICE_PRINCIPALS)
    ):
        denied.setdefault(check.key(), check)
    return checks + list(denied.values()) + list(trust.trust_checks(inputs.account, inputs.configs))


def resource_policy(
    account: Account, resource: str, action: str = ""
) -> tuple[str | None, dict | None]:
    if action.startswith("sts:AssumeRole"):
        for name, role in account.roles.items():
            if role.arn == resource:
                return f"trust policy of {name}", role.trust
    if resource.startswith("arn:aws:s3:::"):
        bucket = resource[len("arn:aws:s3:::") :].split("/", 1)[0]
        entry = account.buckets.get(bucket)
        if entry and entry.policy:
            return f"bucket policy of {bucket}", entry.policy
    if resource in account.keys:
        return f"key policy of {resource}", account.keys[resource]["policy"]
    return None, None


def evaluate(inputs: Inputs, checks: list[Check]) -> list[Outcome]:
    policies: dict[str, Any] = {}
    principal_input: dict[str, Any] = {}
    for key, principal in inputs.principals.items():
        if principal.role not in inputs.account.roles:
            raise ProofError(
                f"role {principal.role} ({key}) is not in Terraform's render: did bootstrap or the root stop creating it?"
            )
        identity, boundary = inputs.account.role_policies(principal.role)
        policies.update(dict(identity) | dict(boundary))
        principal_input[key] = {
            "arn": inputs.account.roles[principal.role].arn,
            "identity": [name for name, _ in identity],
            "boundary": [name for name, _ in boundary],
        }
    payload_checks = []
    for check in checks:
        name, document = resource_policy(inputs.account, check.resource, check.action)
        if check.principal not in principal_input:  # trust checks: a federated or service principal
            arn = (
                _federated_arn(inputs.account)
                if check.principal == trust.GITHUB
                else check.principal.split(" ", 1)[1]
            )
            principal_input[check.principal] = {"arn": arn, "identity": [], "boundary": []}
        if name:
            policies[name] = document
        payload_checks.append({
            "principal": check.principal,
            "action": check.action,
            "resource": check.resource,
            "account": inputs.account.account_id,
            "context": check.context,
            "resourcePolicy": name,
        })  # fmt: skip
    payload = json.dumps(
        {"policies": policies, "principals": principal_input, "checks": payload_checks}
    )
    node = shutil.which("node")
    if not node:
        raise ProofError(
            "node not found: install Node.js 20+ (the proof runs @cloud-copilot/iam-simulate)."
        )
    result = subprocess.run(
        [node, str(Path(__file__).with_name("evaluate.cjs"))],
        input=payload, capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise ProofError(f"proof/evaluate.cjs failed: {result.stderr.strip()[-2000:]}")
    answers = json.loads(result.stdout)
    return [
        Outcome(check, a["result"], a.get("deciding", []), a.get("gaps", []), a.get("error", ""))
        for check, a in zip(checks, answers, strict=True)
    ]


def _federated_arn(account: Account) -> str:
    return f"arn:aws:iam::{account.account_id}:oidc-provider/{trust.OIDC}"


def describe(outcome: Outcome) -> str:
    check = outcome.check
    if outcome.result == "Error":
        decided = f"the simulator refused the request: {outcome.error}"
    elif outcome.deciding:
        decided = "decided by " + ", ".join(
            f"{d['policy']} statement {d['sid']} ({d.get('effect', '?')})" for d in outcome.deciding
        )
    else:
        decided = "no statement allows it in: " + (", ".join(outcome.gaps) or "any policy")
    return (
        f"WRONG: {check.principal} {check.action} on {check.resource} was {outcome.result}, must be "
        f"{check.expect}; {decided}. Request: {check.why} from {check.source}."
    )


def summary(outcomes: list[Outcome]) -> str:
    allowed = sum(1 for o in outcomes if o.correct and o.check.expect == "Allowed")
    denied = sum(1 for o in outcomes if o.correct and o.check.expect == "Denied")
    wrong = sum(1 for o in outcomes if not o.correct)
    return f"access proof: {allowed} requests allowed as required, {denied} denied as required, {wrong} wrong"
