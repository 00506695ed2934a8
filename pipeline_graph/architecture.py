"""The architecture pictures of docs/architecture.md, as data. `make docs-images` draws them (and
the pipeline's DAG) into docs/images/; a test redraws them and fails if the files differ."""

from __future__ import annotations

from pipeline_graph.render import DEdge, Diagram, DNode

GIT = ("#e8f0fe", "#1a73e8")
AWS = ("#fef7e0", "#b06000")
GATE = ("#fce8e6", "#c5221f")
LOCAL = ("#e6f4ea", "#1e8e3e")


def _node(id_: str, title: str, subtitle: str, colours: tuple[str, str], shape: str = "box"):
    return DNode(id_, title, subtitle, shape, *colours)


def gitops_flow() -> Diagram:
    """From a branch to production: what each stage runs and who lets it through."""
    nodes = [
        _node("branch", "branch", "training_code/", GIT),
        _node("pr", "pull request", "pr-validation.yml", GIT),
        _node("review", "review", "tests, diff, plan", GATE, "diamond"),
        _node("main", "main", "release.yml", GIT),
        _node("dev", "dev", "apply, pipeline run", AWS),
        _node("staging", "staging", "environment gate", AWS),
        _node("prod", "prod", "required reviewers", AWS),
        _node("registry", "model registry", "PendingManualApproval", AWS, "store"),
        _node("approve", "approve", "a person", GATE, "diamond"),
        _node("deploy", "deploy.yml", "blue/green, smoke test", GIT),
        _node("record", "deployments/<env>.json", "revert = rollback", GIT),
    ]
    edges = [
        DEdge("branch", "pr", "push"),
        DEdge("pr", "review"),
        DEdge("review", "main", "merge"),
        DEdge("main", "dev"),
        DEdge("dev", "staging"),
        DEdge("staging", "prod"),
        DEdge("dev", "registry", "gate passed"),
        DEdge("registry", "approve"),
        DEdge("approve", "deploy", "Approved"),
        DEdge("deploy", "record"),
    ]
    return Diagram("GitOps flow: every change travels one path", nodes, edges)


def environment() -> Diagram:
    """One AWS environment (dev, staging or prod), as terraform/ builds it."""
    nodes = [
        _node("raw", "S3 raw/", "KMS, no public access", AWS, "store"),
        _node("ecr", "ECR", "images by digest", AWS, "store"),
        _node("trigger", "EventBridge", "schedule or new data", AWS),
        _node("pipeline", "SageMaker Pipeline", "definition from git", AWS),
        _node("gate", "QualityGate", "threshold, champion", GATE, "diamond"),
        _node("registry", "model registry", "one group per env", AWS, "store"),
        _node("reject", "RejectModel", "fails with the metric", GATE, "stop"),
        _node("rule", "approval rule", "Approved and this group", AWS),
        _node("deployer", "deploy", "workflow or Lambda", AWS),
        _node("endpoint", "endpoint", "blue/green, alarms", AWS),
    ]
    edges = [
        DEdge("raw", "trigger"),
        DEdge("trigger", "pipeline", "start"),
        DEdge("ecr", "pipeline", "", True),
        DEdge("pipeline", "gate", "Evaluate"),
        DEdge("gate", "registry", "if"),
        DEdge("gate", "reject", "else"),
        DEdge("registry", "rule"),
        DEdge("rule", "deployer"),
        DEdge("deployer", "endpoint", "rollout"),
    ]
    return Diagram("One environment on AWS (terraform/)", nodes, edges)


def local() -> Diagram:
    """ENV=local: the same definition on a laptop."""
    nodes = [
        _node("data", "make data", "data/raw/*.csv", LOCAL),
        _node("definition", "make definition", "build/local/*.json", LOCAL),
        _node("runner", "local runner", "steps as processes, cache", LOCAL),
        _node("registry", ".local/registry/", "versions, champion", LOCAL, "store"),
        _node("endpoint", "127.0.0.1:8080", "zero-downtime swap", LOCAL),
        _node("smoke", "smoke test", "rows of the test split", LOCAL),
    ]
    edges = [
        DEdge("data", "runner"),
        DEdge("definition", "runner"),
        DEdge("runner", "registry", "register"),
        DEdge("registry", "endpoint", "champion"),
        DEdge("endpoint", "smoke"),
    ]
    return Diagram("make deploy ENV=local: the same definition on this machine", nodes, edges)


def monitoring() -> Diagram:
    """After deployment: batch scoring by the champion, and the drift loop back to training."""
    nodes = [
        _node("capture", "data capture", "datacapture/<endpoint>/", AWS, "store"),
        _node("monitor", "Model Monitor", "hourly, champion baseline", AWS),
        _node("alarm", "drift alarm", "any feature over 0.1", GATE, "diamond"),
        _node("events", "EventBridge", "alarm state ALARM", AWS),
        _node("retrain", "training pipeline", "latest raw/ data", AWS),
        _node("sns", "SNS alert", "runbook link", AWS),
        _node("input", "S3 batch/input/", "schedule or new file", AWS, "store"),
        _node("batch", "batch pipeline", "Score by the champion", AWS),
        _node("output", "batch/output/<date>/", "rows + package ARN", AWS, "store"),
    ]
    edges = [
        DEdge("capture", "monitor"),
        DEdge("monitor", "alarm", "drift metrics"),
        DEdge("alarm", "events", "ALARM"),
        DEdge("events", "retrain", "start"),
        DEdge("events", "sns"),
        DEdge("input", "batch", "start"),
        DEdge("batch", "output"),
    ]
    return Diagram("Batch scoring and drift-triggered retraining (terraform/)", nodes, edges)


DIAGRAMS = {
    "gitops-flow": gitops_flow,
    "environment": environment,
    "local": local,
    "monitoring": monitoring,
}
