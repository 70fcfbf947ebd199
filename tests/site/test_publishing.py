"""The README's publishing section: the example CI workflows (docs/publishing/) cannot run here, so this checks
what they would run: the documented command, `make site`, and an upload of the folder the README names."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _steps(workflow: dict) -> list[str]:
    return [s.get("run", "") for job in workflow["jobs"].values() for s in job.get("steps", [])]


def test_readme_names_the_folder_to_upload_and_both_workflows():
    assert "Upload the folder `build/site/`" in README
    for path in ("docs/publishing/github-pages.yml", "docs/publishing/gitlab-pages.yml"):
        assert f"]({path})" in README and (REPO / path).is_file(), path
    assert re.search(r"^make site\s+#", README, flags=re.M) and re.search(r"^make site-serve\s+#", README, flags=re.M)


def test_github_pages_workflow_runs_make_site_and_uploads_build_site():
    workflow = yaml.safe_load((REPO / "docs/publishing/github-pages.yml").read_text(encoding="utf-8"))
    assert "make site" in _steps(workflow)
    uploads = [s for s in workflow["jobs"]["build"]["steps"] if s.get("uses", "").startswith(
        "actions/upload-pages-artifact@")]
    assert [u["with"]["path"] for u in uploads] == ["build/site"]
    assert workflow["jobs"]["build"]["steps"][1]["with"]["python-version"] == "3.11"  # what the Makefile wants
    assert any("libjs-mathjax" in run for run in _steps(workflow))  # the decks' MathJax (tools/build_slides.py)
    assert workflow["permissions"]["pages"] == "write"


def test_gitlab_pages_job_runs_make_site_and_publishes_it_as_public():
    job = yaml.safe_load((REPO / "docs/publishing/gitlab-pages.yml").read_text(encoding="utf-8"))["pages"]
    assert job["script"][0] == "make site"
    assert "cp -r build/site public" in job["script"][1] and job["artifacts"]["paths"] == ["public"]
    assert "3.11" in job["image"] and any("libjs-mathjax" in line and "npm" in line for line in job["before_script"])
