"""Roll out an approved package, roll back, and keep the champion and the deploy state in step.

rollout: resolve -> (no-op if it already serves) -> lock -> model + endpoint config -> create the
endpoint or update it blue/green (canary, auto-rollback on the 5xx and latency alarms) -> wait with
a timeout, showing progress -> smoke test (a failure rolls back and exits non-zero) -> champion
copy -> deploy state -> unlock.

The deploy state, s3://<bucket>/<prefix>/deploy/state.json, remembers the current and the previous
deployment so that `rollback` knows where to return (the endpoint config and the package, whose
model becomes the champion again).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from deploy import builders, registry, smoke
from deploy import champion as champion_files
from deploy.aws import Clients, error_code, is_not_found
from deploy.errors import DeployError, SmokeTestError
from deploy.lock import deploy_lock
from deploy.registry import Package, Serving
from deploy.settings import Settings

TRANSITIONAL = ("Creating", "Updating", "SystemUpdating", "RollingBack")
PROVISIONING_SECONDS = 1800  # headroom for instances to start, on top of the canary waits
KEEP_OLD_CONFIGS = 3  # older endpoint configs (and models) kept besides current and previous


def utcnow() -> datetime:
    return datetime.now(UTC)


def _created(state: dict) -> list[str]:
    """The endpoint configs (and same-named models) deploy/ created and has not deleted yet."""
    return list(state.get("created") or [])


def read_state(clients: Clients, settings: Settings) -> dict:
    """s3://<bucket>/<prefix>/deploy/state.json: {"current": {...}|None, "previous": {...}|None}."""
    try:
        response = clients.s3.get_object(Bucket=settings.bucket, Key=builders.state_key(settings))
    except Exception as error:
        if error_code(error) in ("NoSuchKey", "404"):
            return {"current": None, "previous": None}
        raise
    return json.loads(response["Body"].read())


@dataclass
class Outcome:
    action: str  # created | updated | noop | started | rolled-back
    environment: str
    endpoint_name: str
    endpoint_config_name: str
    model_package_arn: str
    model_package_version: int
    message: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class Deployer:
    """One environment's deploy operations. Clock, sleep and output are injectable for tests."""

    def __init__(
        self,
        clients: Clients,
        settings: Settings,
        *,
        out: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        poll_seconds: float = 30.0,
        timeout_seconds: float | None = None,
        lock_owner: str | None = None,
        smoke_clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.clients = clients
        self.settings = settings
        self.out = out
        self.sleep = sleep
        self.now = now
        self.monotonic = monotonic
        self.poll_seconds = poll_seconds
        self.smoke_clock = smoke_clock
        self.timeout_seconds = timeout_seconds or (
            PROVISIONING_SECONDS + settings.canary_wait_seconds + settings.termination_wait_seconds
        )
        self.lock = deploy_lock(clients, settings, lock_owner)

    # -- state ------------------------------------------------------------------------------------
    def read_state(self) -> dict:
        return read_state(self.clients, self.settings)

    def write_state(self, state: dict) -> None:
        self.clients.s3.put_object(
            Bucket=self.settings.bucket,
            Key=builders.state_key(self.settings),
            Body=json.dumps(state, indent=2, sort_keys=True).encode(),
            ContentType="application/json",
        )

    def _entry(
        self,
        package_arn: str,
        config_name: str,
        model_data_url: str = "",
        git_sha: str = "",
        version: int = 0,
    ) -> dict:
        if package_arn and not (model_data_url and version):
            try:
                package = registry.describe_package(self.clients, package_arn)
                model_data_url, git_sha, version = (
                    package.model_data_url,
                    package.git_sha,
                    package.version,
                )
            except DeployError:
                pass
        return {
            "model_package_arn": package_arn,
            "model_package_version": version,
            "endpoint_config_name": config_name,
            "model_data_url": model_data_url,
            "git_sha": git_sha,
            "deployed_at": self.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    # -- champion ---------------------------------------------------------------------------------
    def promote_champion(self, model_data_url: str, package_arn: str = "") -> str:
        """Copy the model to <prefix>/champion/current/model.tar.gz, drop the NO_CHAMPION marker;
        with the package's ARN, also its identity and data-quality baseline (deploy/champion.py)."""
        source_bucket, source_key = builders.split_s3_uri(model_data_url)
        target_key = builders.champion_key(self.settings)
        self.clients.s3.copy_object(
            Bucket=self.settings.bucket,
            Key=target_key,
            CopySource={"Bucket": source_bucket, "Key": source_key},
        )
        if package_arn:
            description = self.clients.sagemaker.describe_model_package(
                ModelPackageName=package_arn
            )
            champion_files.publish(self.clients.s3, self.settings, description)
        self.clients.s3.delete_object(
            Bucket=self.settings.bucket, Key=builders.no_champion_key(self.settings)
        )
        return f"s3://{self.settings.bucket}/{target_key}"

    # -- checks -----------------------------------------------------------------------------------
    def require_alarms(self) -> None:
        """Auto-rollback needs the alarms Terraform creates; refuse an unguarded update."""
        names = list(self.settings.alarm_names)
        found = self.clients.cloudwatch.describe_alarms(AlarmNames=names).get("MetricAlarms", [])
        missing = sorted(set(names) - {alarm["AlarmName"] for alarm in found})
        if missing:
            raise DeployError(
                f"CloudWatch alarm(s) {', '.join(missing)} do not exist, so a blue/green update "
                "could not roll itself back. Create them with "
                f"`make apply ENV={self.settings.environment}` (terraform/modules/endpoint)."
            )

    @staticmethod
    def _serves(current: Serving | None, package: Package) -> str:
        if current is None:
            return ""
        if current.package_arn == package.arn and current.status == "InService":
            return f"already serves {package.arn} (config {current.config_name})"
        if current.pending_package_arn == package.arn:
            return (
                f"is already being updated to {package.arn} (config {current.pending_config_name})"
            )
        if (
            current.package_arn == package.arn
            and current.status in TRANSITIONAL
            and not current.pending_package_arn
        ):
            return f"is {current.status} with {package.arn} already"
        return ""

    def _noop(self, current: Serving | None, package: Package) -> Outcome | None:
        reason = self._serves(current, package)
        if not reason:
            return None
        assert current is not None
        return Outcome(
            action="noop",
            environment=self.settings.environment,
            endpoint_name=self.settings.endpoint_name,
            endpoint_config_name=current.pending_config_name or current.config_name,
            model_package_arn=package.arn,
            model_package_version=package.version,
            message=f"Nothing to do: {self.settings.endpoint_name} {reason}.",
        )

    def test_rows(self, package: Package, test_data: str | None) -> list[list[float]]:
        source = test_data or package.test_data_uri
        if not source:
            raise DeployError(
                f"Model package {package.arn} has no TestDataUri metadata, so the smoke test has "
                "no rows. Pass --test-data <s3 prefix or CSV path>, or --no-smoke-test."
            )
        features, label = smoke.schema()
        text = smoke.read_test_csv(self.clients, source)
        return smoke.rows_from_csv(text, self.settings.smoke_rows, features, label)

    # -- waiting ----------------------------------------------------------------------------------
    def wait_for(self, config_name: str | None) -> None:
        """Poll until the endpoint is InService on config_name (None: on any config, e.g. after
        someone else's update); raise on failure or timeout."""
        deadline = self.monotonic() + self.timeout_seconds
        name = self.settings.endpoint_name
        last = ""
        while True:
            endpoint = registry.describe_endpoint(self.clients, name)
            if endpoint is None:
                raise DeployError(f"Endpoint {name} disappeared while waiting for it.")
            status = endpoint.get("EndpointStatus", "")
            if status != last:
                self.out(f"  {name}: {status}")
                last = status
            if status == "InService":
                if config_name is None or endpoint.get("EndpointConfigName") == config_name:
                    return
                if not endpoint.get("PendingDeploymentSummary"):
                    raise DeployError(
                        f"Endpoint {name} rolled back automatically to "
                        f"{endpoint.get('EndpointConfigName')}: an alarm "
                        f"({', '.join(self.settings.alarm_names)}) fired during the canary. "
                        "See `make status` and the endpoint's CloudWatch metrics."
                    )
            if status in ("Failed", "UpdateRollbackFailed", "OutOfService", "Deleting"):
                reason = endpoint.get("FailureReason") or "no reason given"
                raise DeployError(f"Endpoint {name} is {status}: {reason}.")
            if self.monotonic() >= deadline:
                raise DeployError(
                    f"Timed out after {self.timeout_seconds:.0f} s: endpoint {name} is still "
                    f"{status}. It may still finish; watch it with `make status "
                    f"ENV={self.settings.environment}` (or raise --timeout)."
                )
            self.sleep(self.poll_seconds)

    def _settle(self, current: Serving, wait: bool) -> Serving | None:
        """An endpoint mid-update cannot take another update: wait for it, or refuse."""
        if current.status in TRANSITIONAL:
            if not wait:
                raise DeployError(
                    f"Endpoint {current.endpoint_name} is {current.status}; retry when it is "
                    "InService."
                )
            self.out(f"Endpoint {current.endpoint_name} is {current.status}; waiting for it first.")
            self.wait_for(None)
            current = registry.serving(self.clients, self.settings.endpoint_name) or current
        if current.status == "Failed":
            reason = current.failure_reason or "no reason given"
            raise DeployError(
                f"Endpoint {current.endpoint_name} is Failed ({reason}). Delete it "
                "(`aws sagemaker delete-endpoint --endpoint-name "
                f"{current.endpoint_name}`) and roll out again: rollout creates it."
            )
        return current

    # -- rollout ----------------------------------------------------------------------------------
    def rollout(
        self,
        requested: str | None = None,
        *,
        wait: bool = True,
        smoke_test: bool = True,
        test_data: str | None = None,
    ) -> Outcome:
        registry.ensure_not_local(self.settings, "rollout")
        package = registry.resolve(self.clients, self.settings, requested)
        self.out(f"Model package {package.arn} (version {package.version}, Approved).")
        if not self.settings.endpoint_enabled:
            return self._champion_only(package)
        noop = self._noop(registry.serving(self.clients, self.settings.endpoint_name), package)
        if noop:
            return noop
        rows = self.test_rows(package, test_data) if (wait and smoke_test) else []
        with self.lock.held(f"rollout {package.arn}"):
            current = registry.serving(self.clients, self.settings.endpoint_name)
            noop = self._noop(current, package)
            if noop:
                return noop
            if current is not None:
                current = self._settle(current, wait)
                noop = self._noop(current, package)
                if noop:
                    return noop
                self.require_alarms()
            return self._deploy(package, current, wait=wait, rows=rows)

    def _champion_only(self, package: Package) -> Outcome:
        """endpoint.enabled is false: no endpoint to roll out; the package becomes the champion."""
        settings = self.settings

        def outcome(action: str, message: str) -> Outcome:
            return Outcome(
                action=action,
                environment=settings.environment,
                endpoint_name=settings.endpoint_name,
                endpoint_config_name="",
                model_package_arn=package.arn,
                model_package_version=package.version,
                message=message,
            )

        off = f"endpoint.enabled is false in environments/{settings.environment}.yaml: no endpoint"
        if (self.read_state().get("current") or {}).get("model_package_arn") == package.arn:
            return outcome("noop", f"Nothing to do: {package.arn} is already the champion ({off}).")
        with self.lock.held(f"champion {package.arn}"):
            state = self.read_state()
            if (state.get("current") or {}).get("model_package_arn") == package.arn:
                return outcome("noop", f"Nothing to do: {package.arn} is already the champion.")
            champion = self.promote_champion(package.model_data_url, package.arn)
            entry = self._entry(
                package.arn, "", package.model_data_url, package.git_sha, package.version
            )
            self.write_state(
                {"current": entry, "previous": state.get("current"), "created": _created(state)}
            )
        return outcome(
            "champion",
            f"Model package version {package.version} is the champion of {settings.environment} "
            f"({champion}); {off}. Set endpoint.enabled: true to serve it.",
        )

    def _deploy(
        self, package: Package, current: Serving | None, *, wait: bool, rows: list[list[float]]
    ) -> Outcome:
        sm = self.clients.sagemaker
        settings = self.settings
        parsed = builders.parse_model_package_arn(package.arn)
        name = builders.resource_name(settings.endpoint_name, package.version, self.now())
        tags = builders.build_tags(settings, parsed, package.git_sha)
        sm.create_model(**builders.build_create_model(settings, package.arn, name, tags))
        sm.create_endpoint_config(**builders.build_endpoint_config(settings, name, name, tags))
        self.out(f"Created model and endpoint config {name}.")
        if current is None:
            sm.create_endpoint(**builders.build_create_endpoint(settings, name, tags))
            action = "created"
            self.out(f"Creating endpoint {settings.endpoint_name}.")
        else:
            sm.update_endpoint(**builders.build_update_endpoint(settings, name))
            action = "updated"
            self.out(
                f"Updating endpoint {settings.endpoint_name} from {current.config_name}: canary "
                f"{settings.canary_percent}% for {settings.canary_wait_seconds} s, "
                f"auto-rollback on {', '.join(settings.alarm_names)}."
            )
        if wait:
            try:
                self.wait_for(name)
            except DeployError:
                self._discard_if_unused(name)
                raise
            if rows:
                result = smoke.run(
                    self.clients,
                    settings.endpoint_name,
                    rows,
                    settings.smoke_max_latency_ms,
                    clock=self.smoke_clock,
                )
                self.out(result.summary())
                if not result.ok:
                    undone = self._undo(current, action, name)
                    raise SmokeTestError(f"{result.summary()}. {undone}")
        else:
            action = "started" if action == "updated" else action
        champion = self.promote_champion(package.model_data_url, package.arn)
        self.out(f"Champion: {champion}.")
        state = self.read_state()
        previous = state.get("current")
        if current is None:
            previous = None
        elif not previous or previous.get("endpoint_config_name") != current.config_name:
            previous = self._entry(current.package_arn, current.config_name)
        protected = {
            name,
            current.config_name if current else "",
            (previous or {}).get("endpoint_config_name", ""),
        }
        self.write_state(
            {
                "current": self._entry(
                    package.arn, name, package.model_data_url, package.git_sha, package.version
                ),
                "previous": previous,
                "created": self.prune([*_created(state), name], protected),
            }
        )
        verb = {"created": "Created", "updated": "Updated", "started": "Started updating"}[action]
        return Outcome(
            action=action,
            environment=settings.environment,
            endpoint_name=settings.endpoint_name,
            endpoint_config_name=name,
            model_package_arn=package.arn,
            model_package_version=package.version,
            message=f"{verb} {settings.endpoint_name}: model package version {package.version}"
            f" on config {name}.",
        )

    def _undo(self, before: Serving | None, action: str, failed_config: str) -> str:
        """After a failed smoke test: return to what served before (or remove a new endpoint),
        then delete the failed model and endpoint config."""
        name = self.settings.endpoint_name
        if action == "created" or before is None:
            self.clients.sagemaker.delete_endpoint(EndpointName=name)
            message = f"Deleted the new endpoint {name} (nothing served before)."
        else:
            self.clients.sagemaker.update_endpoint(
                **builders.build_rollback_endpoint(self.settings, before.config_name)
            )
            self.wait_for(before.config_name)
            package = before.package_arn or "unknown package"
            message = f"Rolled back {name} to {before.config_name} ({package})."
        self._delete_config_and_model(failed_config)
        return message

    def _discard_if_unused(self, name: str) -> None:
        """After SageMaker rolled an update back (or it failed), drop the config it did not keep;
        one still in use or still pending (a timeout: it may finish) stays."""
        serving = registry.serving(self.clients, self.settings.endpoint_name)
        if serving is not None and name in (serving.config_name, serving.pending_config_name):
            return
        self._delete_config_and_model(name)

    def _delete_config_and_model(self, name: str) -> bool:
        """Delete one of deploy/'s endpoint configs and its model (same name). False on failure:
        cleanup never fails a deploy."""
        for call, key in (
            (self.clients.sagemaker.delete_endpoint_config, "EndpointConfigName"),
            (self.clients.sagemaker.delete_model, "ModelName"),
        ):
            try:
                call(**{key: name})
            except Exception as error:
                if not is_not_found(error):
                    self.out(f"warning: could not delete {name}: {error}")
                    return False
        return True

    def prune(self, created: list[str], protected: set[str]) -> list[str]:
        """Delete the endpoint configs and models deploy/ created, except the protected ones and
        the newest KEEP_OLD_CONFIGS others; return the names still kept (oldest first)."""
        removable = [n for n in created if n not in protected]
        excess = removable[: max(0, len(removable) - KEEP_OLD_CONFIGS)]
        deleted = {n for n in excess if self._delete_config_and_model(n)}
        if deleted:
            self.out(f"Deleted {len(deleted)} old endpoint config(s) and model(s).")
        return [n for n in created if n not in deleted]

    # -- rollback ---------------------------------------------------------------------------------
    def rollback(self) -> Outcome:
        registry.ensure_not_local(self.settings, "rollback")
        settings = self.settings
        with self.lock.held("rollback"):
            state = self.read_state()
            target = state.get("previous")
            if not target:
                raise DeployError(
                    f"No previous deployment of {settings.environment} is recorded in "
                    f"s3://{settings.bucket}/{builders.state_key(settings)}, so there is nothing "
                    "to roll back to. Deploy a chosen package instead: `make rollout "
                    f"ENV={settings.environment} MODEL_PACKAGE_ARN=<arn>`."
                )
            if not settings.endpoint_enabled:
                return self._rollback_champion(state, target)
            current = registry.serving(self.clients, settings.endpoint_name)
            if current is None:
                raise DeployError(
                    f"Endpoint {settings.endpoint_name} does not exist; nothing to roll back. "
                    f"`make rollout ENV={settings.environment}` creates it."
                )
            current = self._settle(current, wait=True) or current
            config_name = target["endpoint_config_name"]
            if current.config_name != config_name:
                if not self._config_exists(config_name):
                    config_name = self._recreate(target)
                self.clients.sagemaker.update_endpoint(
                    **builders.build_rollback_endpoint(settings, config_name)
                )
                self.out(f"Rolling back {settings.endpoint_name} to {config_name}.")
                self.wait_for(config_name)
            if target.get("model_data_url"):
                promoted = self.promote_champion(
                    target["model_data_url"], target.get("model_package_arn", "")
                )
                self.out(f"Champion: {promoted}.")
            restored = dict(target, endpoint_config_name=config_name)
            restored["deployed_at"] = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
            created = _created(state)
            if config_name not in created and config_name != target["endpoint_config_name"]:
                created.append(config_name)  # rebuilt by _recreate
            self.write_state(
                {"current": restored, "previous": state.get("current"), "created": created}
            )
            return Outcome(
                action="rolled-back",
                environment=settings.environment,
                endpoint_name=settings.endpoint_name,
                endpoint_config_name=config_name,
                model_package_arn=target.get("model_package_arn", ""),
                model_package_version=int(target.get("model_package_version") or 0),
                message=f"Rolled back {settings.endpoint_name} to {config_name} (model package "
                f"{target.get('model_package_arn') or 'unknown'}).",
            )

    def _rollback_champion(self, state: dict, target: dict) -> Outcome:
        """endpoint.enabled is false: a rollback restores the previous champion only."""
        if target.get("model_data_url"):
            promoted = self.promote_champion(
                target["model_data_url"], target.get("model_package_arn", "")
            )
            self.out(f"Champion: {promoted}.")
        restored = dict(target, deployed_at=self.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        self.write_state(
            {"current": restored, "previous": state.get("current"), "created": _created(state)}
        )
        return Outcome(
            action="rolled-back",
            environment=self.settings.environment,
            endpoint_name=self.settings.endpoint_name,
            endpoint_config_name="",
            model_package_arn=target.get("model_package_arn", ""),
            model_package_version=int(target.get("model_package_version") or 0),
            message=f"The champion of {self.settings.environment} is back to "
            f"{target.get('model_package_arn') or 'the previous model'} (no endpoint: "
            "endpoint.enabled is false).",
        )

    def _config_exists(self, config_name: str) -> bool:
        try:
            self.clients.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
            return True
        except Exception as error:
            if is_not_found(error):
                return False
            raise

    def _recreate(self, target: dict) -> str:
        """The previous endpoint config was deleted: rebuild it from its package."""
        arn = target.get("model_package_arn", "")
        if not arn:
            raise DeployError(
                f"The previous endpoint config {target['endpoint_config_name']} no longer exists "
                "and its model package is unknown; roll out a chosen package instead."
            )
        parsed = builders.parse_model_package_arn(arn)
        name = builders.resource_name(self.settings.endpoint_name, parsed.version, self.now())
        tags = builders.build_tags(self.settings, parsed, target.get("git_sha", ""))
        self.clients.sagemaker.create_model(
            **builders.build_create_model(self.settings, arn, name, tags)
        )
        self.clients.sagemaker.create_endpoint_config(
            **builders.build_endpoint_config(self.settings, name, name, tags)
        )
        return name

    # -- smoke test on what serves ----------------------------------------------------------------
    def smoke_test(self, test_data: str | None = None) -> smoke.SmokeResult:
        registry.ensure_not_local(self.settings, "smoke-test")
        if not self.settings.endpoint_enabled:
            raise DeployError(
                f"endpoint.enabled is false in environments/{self.settings.environment}.yaml: "
                "there is no endpoint to smoke-test."
            )
        current = registry.serving(self.clients, self.settings.endpoint_name)
        if current is None:
            raise DeployError(
                f"Endpoint {self.settings.endpoint_name} does not exist: nothing to smoke-test."
            )
        if not current.package_arn and not test_data:
            raise DeployError(
                f"Cannot tell which model package {self.settings.endpoint_name} serves; pass "
                "--test-data <s3 prefix or CSV path>."
            )
        package = (
            registry.describe_package(self.clients, current.package_arn)
            if current.package_arn
            else None
        )
        if package is None:
            features, label = smoke.schema()
            rows = smoke.rows_from_csv(
                smoke.read_test_csv(self.clients, test_data or ""),
                self.settings.smoke_rows,
                features,
                label,
            )
        else:
            rows = self.test_rows(package, test_data)
        result = smoke.run(
            self.clients,
            self.settings.endpoint_name,
            rows,
            self.settings.smoke_max_latency_ms,
            clock=self.smoke_clock,
        )
        self.out(result.summary())
        return result
