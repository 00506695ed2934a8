"""`python -m ci dependency-audit`: a vulnerability fails unless its id is ignored with a reason;
a lock the advisory service could not audit is said loudly and fails under --strict."""

from __future__ import annotations

import pytest

from ci import dependency_audit

REPORT = {
    "dependencies": [
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [{"id": "GHSA-1", "aliases": ["CVE-9"], "fix_versions": ["3.1.3"]}],
        },
        {"name": "pyyaml", "version": "6.0.3", "vulns": []},
        {"name": "zipp", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]
}


def test_a_vulnerability_is_named_with_its_fix_and_what_to_do():
    problems, audited, skipped = dependency_audit.findings(REPORT, {})
    assert (audited, skipped) == (2, 1)
    assert problems == [
        "jinja2==3.1.2: GHSA-1 (fixed in 3.1.3); upgrade it in the .in file and run `make lock`, "
        "or list the id with a reason in requirements/audit-ignore.txt"
    ]


def test_an_ignored_id_or_alias_is_not_a_problem():
    assert (
        dependency_audit.findings(REPORT, {"CVE-9": "not reachable: we never render templates"})[0]
        == []
    )


def test_the_ignore_file_needs_a_reason_per_id(tmp_path):
    listed = tmp_path / "audit-ignore.txt"
    listed.write_text("# comment\nGHSA-1 only used at build time\n")
    assert dependency_audit.ignored_ids(listed) == {"GHSA-1": "only used at build time"}
    listed.write_text("GHSA-2\n")
    with pytest.raises(SystemExit, match=r"audit-ignore\.txt:1: 'GHSA-2' needs a reason"):
        dependency_audit.ignored_ids(listed)


@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
def test_an_unaudited_lock_is_loud_and_fails_only_when_strict(monkeypatch, capsys, strict, code):
    monkeypatch.setattr(
        dependency_audit, "audit", lambda lock: {"dependencies": [REPORT["dependencies"][2]]}
    )
    assert dependency_audit.main(["--strict"] if strict else []) == code
    assert "NOT AUDITED" in capsys.readouterr().err


def test_a_vulnerability_fails_even_without_strict(monkeypatch, capsys):
    monkeypatch.setattr(dependency_audit, "audit", lambda lock: REPORT)
    assert dependency_audit.main([]) == 1
    assert "VULNERABLE requirements/dev.lock: jinja2==3.1.2: GHSA-1" in capsys.readouterr().err
