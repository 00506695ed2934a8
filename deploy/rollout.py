"""Roll out an approved package, roll back, and keep the champion and the deploy state true.

rollout: resolve -> (no-op if it already serves; a logged no-op if it is OLDER than what serves,
unless this is an explicit rollback) -> lock -> reconcile the state with the endpoint, delete
leftovers -> model + endpoint config -> create the endpoint or update it blue/green (canary,
auto-rollback on the 5xx and latency alarms) -> wait with a timeout -> smoke test (a failure
rolls back and exits non-zero) -> champion copy -> deploy state -> prune -> unlock.

rollback is a rollout of the previous Approved package (approval re-checked, the same canary,
alarms, smoke test and record), chosen from the registry and from what this environment really
deployed (its endpoint configs, and the state's history), never from the cached state alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from deploy import builders, registry, resources, rollback_target, smoke
from deploy import state as deploy_state
from deploy.aws import Clients
from deploy.errors import DeployError, LockHeldError, RetryLaterError, SmokeTestError
from deploy.lock import deploy_lock
from deploy.registry import Package, Serving
from deploy.settings import Settings
from deploy.state import read_state

__all__ = ["Deployer", "Outcome", "read_state"]

TRANSITIONAL = ("Creating", "Updating", "SystemUpdating", "RollingBack")
PROVISIONING_SECONDS = 1800  # headroom for instances to start, on top of the canary waits


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    action: str  # created | updated | started | champion | noop | stale (+ rolled_back flag)
    environment: str
    endpoint_name: str
    endpoint_config_name: str
    model_package_arn: str
    model_package_version: int
    message: str
    rolled_back: bool = False

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
        self._described: dict[str, Package] = {}

    def describe(self, arn: str) -> Package:
        """A package's description, asked once per run: used for what does not change (version,
        group, creation time, model data). Approval is always asked anew (registry.resolve)."""
        if arn not in self._described:
            self._described[arn] = registry.describe_package(self.clients, arn)
        return self._described[arn]

    # -- state and champion -----------------------------------------------------------------------
    def read_state(self) -> dict:
        return read_state(self.clients, self.settings)

    def write_state(self, state: dict) -> None:
        deploy_state.write_state(self.clients, self.settings, state)

    def promote_champion(self, model_data_url: str, package_arn: str = "") -> str:
        return deploy_state.promote_champion(
            self.clients, self.settings, model_data_url, package_arn
        )

    def _stamp(self) -> str:
        return self.now().strftime("%Y-%m-%dT%H:%M:%SZ")

    def _entry(self, package: Package, config_name: str) -> dict:
        return {
            "model_package_arn": package.arn,
            "model_package_version": package.version,
            "endpoint_config_name": config_name,
            "model_data_url": package.model_data_url,
            "git_sha": package.git_sha,
            "deployed_at": self._stamp(),
        }

    def _record_deployed(self, state: dict, package: Package, config_name: str) -> None:
        """After a deployment: current = package, previous = what was current, history += it."""
        before = state.get("current")
        if before and before.get("model_package_arn") == package.arn:
            before = state.get("previous")
        self.write_state(
            {
                "current": self._entry(package, config_name),
                "previous": before,
                "history": deploy_state.with_history(state.get("history") or [], package.arn),
            }
        )

    def drifted(self, current: Serving | None, state: dict) -> bool:
        """True if the cached state or the champion copy disagree with what the endpoint serves
        (an interrupted rollout, or a --no-wait one that SageMaker rolled back). Only a settled
        endpoint is compared: mid-update, the truth is not known yet."""
        if not self.settings.endpoint_enabled or current is None or not current.package_arn:
            return False
        if current.status != "InService" or current.pending_config_name:
            return False
        cached = state.get("current") or {}
        return (
            cached.get("endpoint_config_name") != current.config_name
            or cached.get("model_package_arn") != current.package_arn
            or deploy_state.champion_arn(self.clients, self.settings) != current.package_arn
        )

    def reconcile(self, current: Serving | None) -> dict:
        """Make the cached state and the champion copy say what the endpoint really serves. Call
        it under the lock. Returns the (repaired) state."""
        state = self.read_state()
        if not self.drifted(current, state):
            return state
        assert current is not None
        try:
            package = self.describe(current.package_arn)
        except DeployError as error:  # e.g. the serving package was deleted from the registry
            self.out(f"warning: cannot reconcile the deploy state: {error}")
            return state
        cached = state.get("current") or {}
        self.out(
            f"Reconciling: {self.settings.endpoint_name} serves version {package.version} on "
            f"{current.config_name}; the deploy state said "
            f"{cached.get('endpoint_config_name') or 'nothing'}. Repairing the state and the "
            "champion copy."
        )
        self.promote_champion(package.model_data_url, package.arn)
        repaired = dict(state)
        if cached.get("model_package_arn") == package.arn:
            repaired["current"] = None  # same package, other config: keep the real previous
        self._record_deployed(repaired, package, current.config_name)
        return self.read_state()

    def prune(self, current: Serving | None = None, keep: int | None = None) -> list[str]:
        """Delete leftovers of failed rollouts and owned configs/models beyond the newest N."""
        if current is None:
            current = registry.serving(self.clients, self.settings.endpoint_name)
        return resources.prune(
            self.clients,
            self.settings.endpoint_name,
            current,
            self.settings.keep_old_configs if keep is None else keep,
            self.out,
        )

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

    def _outcome(self, action: str, package: Package, config_name: str, message: str) -> Outcome:
        return Outcome(
            action=action,
            environment=self.settings.environment,
            endpoint_name=self.settings.endpoint_name,
            endpoint_config_name=config_name,
            model_package_arn=package.arn,
            model_package_version=package.version,
            message=message,
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

    def _newer_in_place(self, arns: tuple[str, ...], package: Package) -> Package | None:
        """The newest package among `arns` (what serves, what is pending) that `package` is older
        than, or None. A package the registry no longer knows is skipped."""
        newest = None
        for arn in arns:
            if not arn or arn == package.arn:
                continue
            try:
                other = self.describe(arn)
            except DeployError:
                continue
            if registry.is_older(package, other) and (
                newest is None or registry.is_older(newest, other)
            ):
                newest = other
        return newest

    def check(self, current: Serving | None, package: Package, allow_older: bool) -> Outcome | None:
        """A no-op Outcome if the package already serves, or (unless allow_older) if it is older
        than what serves or is pending: a late, retried or replayed event never goes back."""
        reason = self._serves(current, package)
        if reason:
            assert current is not None
            return self._outcome(
                "noop",
                package,
                current.pending_config_name or current.config_name,
                f"Nothing to do: {self.settings.endpoint_name} {reason}.",
            )
        if allow_older or current is None:
            return None
        newer = self._newer_in_place((current.package_arn, current.pending_package_arn), package)
        if newer is None:
            return None
        return self._stale(package, newer, f"{self.settings.endpoint_name} serves")

    def verdict(self, package: Package) -> Outcome | None:
        """Without changing anything: a no-op or stale Outcome, or None (it would deploy)."""
        if self.settings.endpoint_enabled:
            current = registry.serving(self.clients, self.settings.endpoint_name)
            return self.check(current, package, allow_older=False)
        champion = deploy_state.champion_arn(self.clients, self.settings) or (
            self.read_state().get("current") or {}
        ).get("model_package_arn", "")
        if champion == package.arn:
            where = f"it is the champion of {self.settings.environment} (endpoint off)"
            return self._outcome("noop", package, "", f"Nothing to do: {package.arn}: {where}.")
        newer = self._newer_in_place((champion,), package)
        if newer is None:
            return None
        return self._stale(package, newer, f"is the champion of {self.settings.environment}")

    def _stale(self, package: Package, newer: Package, where: str) -> Outcome:
        message = (
            f"Nothing to do: {package.arn} (version {package.version}) is older than "
            f"{newer.arn} (version {newer.version}), which {where}; a late, retried or replayed "
            "event does not go back. To go back on purpose: `make rollback "
            f"ENV={self.settings.environment} [MODEL_PACKAGE_ARN={package.arn}]`."
        )
        self.out(message)
        return self._outcome("stale", package, "", message)

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
                    if endpoint.get("FailureReason"):
                        raise DeployError(
                            f"The update of endpoint {name} failed and SageMaker kept "
                            f"{endpoint.get('EndpointConfigName')}: {endpoint['FailureReason']}. "
                            "Fix the cause (see `make status`), then roll out again."
                        )
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
                raise RetryLaterError(
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
        """Deploy a package newer than what serves (an older one is a stale no-op: going back
        is `rollback`)."""
        registry.ensure_not_local(self.settings, "rollout")
        package = registry.resolve(self.clients, self.settings, requested)
        self.out(f"Model package {package.arn} (version {package.version}, Approved).")
        return self.deploy_package(package, wait=wait, smoke_test=smoke_test, test_data=test_data)

    def deploy_package(
        self,
        package: Package,
        *,
        wait: bool = True,
        smoke_test: bool = True,
        test_data: str | None = None,
        allow_older: bool = False,
    ) -> Outcome:
        """The one deploy path, for rollout and rollback alike."""
        if not self.settings.endpoint_enabled:
            return self._champion_only(package, allow_older)
        early = self.check(
            registry.serving(self.clients, self.settings.endpoint_name), package, allow_older
        )
        if early:
            self._reconcile_if_free()
            return early
        rows = self.test_rows(package, test_data) if (wait and smoke_test) else []
        with self.lock.held(f"rollout {package.arn}"):
            current = registry.serving(self.clients, self.settings.endpoint_name)
            early = self.check(current, package, allow_older)
            if early:
                self.reconcile(current)
                return early
            if current is not None:
                settled = self._settle(current, wait)
                if settled is not current:  # it waited: what serves may have changed
                    current = settled
                    early = self.check(current, package, allow_older)
                    if early:
                        self.reconcile(current)
                        return early
                self.require_alarms()
            state = self.reconcile(current)
            self.prune(current)
            return self._deploy(package, current, state, wait=wait, rows=rows)

    def _reconcile_if_free(self) -> None:
        """On a no-op, repair a drifted state too, unless another deploy holds the lock."""
        current = registry.serving(self.clients, self.settings.endpoint_name)
        if not self.drifted(current, self.read_state()):
            return
        try:
            with self.lock.held("reconcile"):
                current = registry.serving(self.clients, self.settings.endpoint_name)
                self.reconcile(current)
                self.prune(current)  # e.g. the config of a --no-wait update that was rolled back
        except LockHeldError:
            self.out("The deploy state differs from the endpoint; the next deploy repairs it.")

    def _champion_only(self, package: Package, allow_older: bool) -> Outcome:
        """endpoint.enabled is false: no endpoint to roll out; the package becomes the champion."""
        settings = self.settings
        off = f"endpoint.enabled is false in environments/{settings.environment}.yaml: no endpoint"
        if (
            deploy_state.champion_arn(self.clients, settings) == package.arn
            and (self.read_state().get("current") or {}).get("model_package_arn") == package.arn
        ):  # a replay: no lock, no write
            return self._outcome(
                "noop", package, "", f"Nothing to do: {package.arn} is already the champion."
            )
        with self.lock.held(f"champion {package.arn}"):
            state = self.read_state()
            champion = deploy_state.champion_arn(self.clients, settings)
            if champion == package.arn:
                if (state.get("current") or {}).get("model_package_arn") != package.arn:
                    self._record_deployed(state, package, "")  # the state had drifted
                return self._outcome(
                    "noop", package, "", f"Nothing to do: {package.arn} is already the champion."
                )
            if not allow_older and champion:
                newer = self._newer_in_place((champion,), package)
                if newer is not None:
                    return self._stale(package, newer, f"is the champion of {settings.environment}")
            url = self.promote_champion(package.model_data_url, package.arn)
            self._record_deployed(state, package, "")
        return self._outcome(
            "champion",
            package,
            "",
            f"Model package version {package.version} is the champion of {settings.environment} "
            f"({url}); {off}. Set endpoint.enabled: true to serve it.",
        )

    def _deploy(
        self,
        package: Package,
        current: Serving | None,
        state: dict,
        *,
        wait: bool,
        rows: list[list[float]],
    ) -> Outcome:
        sm = self.clients.sagemaker
        settings = self.settings
        parsed = builders.parse_model_package_arn(package.arn)
        name = builders.resource_name(settings.endpoint_name, package.version, self.now())
        tags = builders.build_tags(settings, parsed, package.git_sha)
        try:
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
                    f"Updating endpoint {settings.endpoint_name} from {current.config_name}: "
                    f"canary {settings.canary_percent}% for {settings.canary_wait_seconds} s, "
                    f"auto-rollback on {', '.join(settings.alarm_names)}."
                )
        except Exception:
            # nothing serves what we just made: leave no model or config behind
            resources.delete_config_and_model(self.clients, name, self.out)
            raise
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
        self._record_deployed(state, package, name)
        self.prune(registry.serving(self.clients, settings.endpoint_name))
        verb = {"created": "Created", "updated": "Updated", "started": "Started updating"}[action]
        return self._outcome(
            action,
            package,
            name,
            f"{verb} {settings.endpoint_name}: model package version {package.version}"
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
        resources.delete_config_and_model(self.clients, failed_config, self.out)
        return message

    def _discard_if_unused(self, name: str) -> None:
        """After SageMaker rolled an update back (or it failed), drop the config it did not keep;
        one still in use or still pending (a timeout: it may finish) stays."""
        serving = registry.serving(self.clients, self.settings.endpoint_name)
        if serving is not None and name in (serving.config_name, serving.pending_config_name):
            return
        resources.delete_config_and_model(self.clients, name, self.out)

    # -- rollback ---------------------------------------------------------------------------------
    def rollback(
        self,
        requested: str | None = None,
        *,
        wait: bool = True,
        smoke_test: bool = True,
        test_data: str | None = None,
    ) -> Outcome:
        """A rollout of the previous Approved package (or of `requested`, an explicit older one):
        approval re-checked, same canary, alarms, smoke test and record."""
        registry.ensure_not_local(self.settings, "rollback")
        if requested is not None:  # "" is refused by resolve, never "the previous one"
            package = registry.resolve(self.clients, self.settings, requested)
        else:
            package = rollback_target.previous_package(self.clients, self.settings)
        self.out(f"Rolling back to model package {package.arn} (version {package.version}).")
        outcome = self.deploy_package(
            package, wait=wait, smoke_test=smoke_test, test_data=test_data, allow_older=True
        )
        if outcome.action in ("noop", "stale"):
            return outcome
        outcome.rolled_back = True
        outcome.message = (
            f"Rolled back {self.settings.endpoint_name} to model package version "
            f"{package.version} ({package.arn}). {outcome.message} Reject the newer package in "
            "the registry if it must not come back with a late event."
        )
        return outcome

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
