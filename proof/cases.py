"""The must-deny cases of the proof, generated from the recorded requests so that they grow with
the code: for every request that must be allowed, the variants AWS must refuse.

- PutObject asking for AES256 (the bucket is KMS-only);
- any S3 call without TLS (aws:SecureTransport false);
- the plan role doing any write the deploy role's apply did (iam-data access level not Read or
  List), reading the GitHub token, or using the state key other than to read its own state
  through S3;
- dev's roles on staging's and prod's resources of the same account (every dev request with the
  names of the other environment's YAML).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

from proof import iam_data
from proof.rendered import Account
from proof.translate import Check

PLAN = "github-plan/dev"
DEV_PRINCIPALS = ("github-deploy/dev", "github-plan/dev", "execution/dev")


def _variant(check: Check, why: str, **changes) -> Check:
    new = copy.deepcopy(check)
    for name, value in changes.items():
        setattr(new, name, value)
    new.expect = "Denied"
    new.why = f"{why} (variant of {check.why})"
    return new


def must_deny(allowed: list[Check], account: Account, configs: dict[str, dict]) -> Iterator[Check]:
    yield from _s3_variants(allowed, account)
    yield from _plan_role(allowed, account, configs)
    yield from _other_environments(allowed, account, configs)


def _s3_variants(allowed: list[Check], account: Account) -> Iterator[Check]:
    for check in allowed:
        if not check.resource.startswith("arn:aws:s3:::"):
            continue
        bucket = check.resource[len("arn:aws:s3:::") :].split("/", 1)[0]
        if not (account.buckets.get(bucket) and account.buckets[bucket].policy):
            continue
        context = dict(check.context, **{"aws:SecureTransport": "false"})
        yield _variant(check, "the same call without TLS", context=context)
        if check.action == "s3:PutObject":
            context = dict(check.context, **{"s3:x-amz-server-side-encryption": "AES256"})
            context.pop("s3:x-amz-server-side-encryption-aws-kms-key-id", None)
            yield _variant(
                check,
                "PutObject asking for AES256 instead of the bucket's KMS key",
                context=context,
            )


def _plan_role(allowed: list[Check], account: Account, configs: dict[str, dict]) -> Iterator[Check]:
    project = configs["dev"]["project"]
    for check in allowed:
        # kms:Decrypt is "Write" in AWS's catalogue but is how S3 reads an encrypted object; the
        # plan role's use of the state key has its own cases below.
        if (
            check.principal == "github-deploy/dev"
            and iam_data.is_write(check.action)
            and check.action != "kms:Decrypt"
        ):
            yield _variant(check, "the plan role writing", principal=PLAN)
    region, account_id = account.region, account.account_id
    token = f"arn:aws:secretsmanager:{region}:{account_id}:secret:{project}/dev/github-dispatch-token-AbCdEf"
    base = {"aws:SecureTransport": "true", "aws:PrincipalAccount": account_id}
    yield Check(PLAN, "secretsmanager:GetSecretValue", token, dict(base), "Denied",
                "the plan role reading the GitHub dispatch token", "must-deny")  # fmt: skip
    state_key = account.key_arn(f"alias/{project}-tfstate")
    if state_key:
        yield Check(PLAN, "kms:Decrypt", state_key, dict(base), "Denied",
                    "the plan role decrypting with the state key directly (not through S3)", "must-deny")  # fmt: skip
        for env in ("staging", "prod"):
            bucket = f"{project}-tfstate-{account_id}"
            context = dict(base, **{
                "kms:ViaService": f"s3.{region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}/{env}/terraform.tfstate",
            })  # fmt: skip
            yield Check(PLAN, "kms:Decrypt", state_key, context, "Denied",
                        f"dev's plan role decrypting {env}'s state", "must-deny")  # fmt: skip


def _renames(configs: dict[str, dict], target: str, account: Account) -> list[tuple[str, str]]:
    dev, other = configs["dev"], configs[target]
    pairs = []
    for name, value in dev["resources"].items():
        if other["resources"].get(name) != value:
            pairs.append((str(value), str(other["resources"][name])))
    pairs.append((f"{dev['project']}-dev", f"{other['project']}-{target}"))
    pairs.append((f"/{dev['resources']['prefix']}/", f"/{other['resources']['prefix']}/"))
    dev_key = account.key_arn(dev["resources"]["kms_key_alias"])
    other_key = account.key_arn(other["resources"]["kms_key_alias"])
    if dev_key and other_key:
        pairs.append((dev_key, other_key))
    # longest first, so a bucket name is replaced before the project-environment it contains
    return sorted(set(pairs), key=lambda pair: -len(pair[0]))


def _rename(text: str, pairs: list[tuple[str, str]]) -> str:
    marks = {}
    for index, (old, new) in enumerate(pairs):
        mark = f"\x00{index}\x00"
        if old in text:
            text = text.replace(old, mark)
            marks[mark] = new
    for mark, new in marks.items():
        text = text.replace(mark, new)
    return text


def _other_environments(
    allowed: list[Check], account: Account, configs: dict[str, dict]
) -> Iterator[Check]:
    for target in ("staging", "prod"):
        if target not in configs or str(configs[target]["aws"]["account_id"]) != account.account_id:
            continue  # another account: its own roles and policies, nothing shared to prove
        pairs = _renames(configs, target, account)
        for check in allowed:
            if check.principal not in DEV_PRINCIPALS:
                continue
            resource = _rename(check.resource, pairs)
            if resource == check.resource:
                continue  # shared (the ECR repositories) or account-wide ("*")
            context = json.loads(_rename(json.dumps(check.context), pairs))
            for key in [k for k in context if k.startswith("aws:ResourceTag/")]:
                del context[key]
            for key, value in account.tags.get(resource, {}).items():
                context[f"aws:ResourceTag/{key}"] = value
            key = account.keys.get(resource)
            if key:
                context.update({f"aws:ResourceTag/{k}": v for k, v in key["tags"].items()})
                context["kms:ResourceAliases"] = account.key_aliases(resource)
            yield _variant(
                check,
                f"{check.principal} on {target}'s resource",
                resource=resource,
                context=context,
            )
