"""The collection as a user gets it: ``ansible-galaxy collection build`` makes a tarball that
holds exactly what a user needs, it installs offline into an empty collections path, and
``playbooks/demo.yml`` runs from the installed copy. ansible-builder reads the collection's
execution-environment metadata and makes a build context for an execution environment.
"""
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from harness.playbook import REPO_ROOT, ansible_env, assert_ok, run_playbook

BIN = Path(sys.executable).parent

# Top-level entries of the tarball. Anything new at the top of the tree must be decided on:
# ship it (add it here) or keep it out (galaxy.yml build_ignore).
SHIPPED_TOP = {
    "MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.rst", "LICENSE", "COPYING",
    "meta", "plugins", "roles", "playbooks", "docs", "changelogs", "tests", "scripts",
    "requirements.txt", "requirements-dev.txt", "bindep.txt", "Makefile", "ansible.cfg", "pytest.ini",
}
# Everything under these directories is content a user runs or reads: all of it ships.
CONTENT_DIRS = ("plugins", "roles", "playbooks", "meta", "docs", "changelogs")
REQUIRED = ("MANIFEST.json", "FILES.json", "README.md", "requirements.txt", "bindep.txt",
            "meta/runtime.yml", "meta/execution-environment.yml", "changelogs/changelog.yaml",
            "changelogs/config.yaml", "playbooks/demo.yml", "docs/awx.md")


def tool(name):
    return str(BIN / name) if (BIN / name).exists() else name


def run(argv, **kwargs):
    kwargs.setdefault("env", ansible_env())
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False,
                          timeout=300, **kwargs)


def git_files():
    """Files a clean clone of the working tree holds (tracked + untracked, minus .gitignore)."""
    proc = run(["git", "-C", REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    assert proc.returncode == 0, proc.stderr
    return {p for p in proc.stdout.split("\0") if p and (REPO_ROOT / p).is_file()}


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = run([tool("ansible-galaxy"), "collection", "build", REPO_ROOT, "--output-path", out])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())["version"]
    path = out / ("pki-lifecycle-%s.tar.gz" % version)
    assert path.is_file(), proc.stdout
    return path


def members(path):
    with tarfile.open(path) as tar:
        return {m.name[2:] if m.name.startswith("./") else m.name for m in tar.getmembers() if m.isfile()}


def test_tarball_holds_exactly_what_a_user_needs(tarball):
    before = git_files()
    names = members(tarball)
    after = git_files()

    # nothing from a developer's machine: outputs, venvs, caches, benchmarks, builds
    leaked = sorted(n for n in names
                    if n.startswith(("tests/output/", "out/", "outputs/", "bench/", ".venv", ".collections/",
                                     ".git/", ".ci/", ".pytest_cache/", ".ansible/"))
                    or "/__pycache__/" in "/" + n or n.endswith((".pyc", ".tar.gz")))
    assert not leaked, "build_ignore in galaxy.yml misses: %s" % leaked
    unknown_top = sorted({n.split("/")[0] for n in names} - SHIPPED_TOP)
    assert not unknown_top, ("new top-level entries in the tarball %s: ship them (SHIPPED_TOP in this test) "
                             "or add them to build_ignore in galaxy.yml" % unknown_top)

    # everything a user runs or reads is there
    missing = sorted(set(REQUIRED) - names)
    assert not missing, "missing from the tarball: %s" % missing
    content = {p for p in before & after if p.startswith(tuple(d + "/" for d in CONTENT_DIRS))}
    assert content, "git sees no collection content under %s" % (CONTENT_DIRS,)
    missing = sorted(content - names)
    assert not missing, "collection files left out of the tarball (build_ignore too wide?): %s" % missing
    # and nothing that a clean checkout would not have
    stray = sorted(n for n in names - (before | after) if n not in ("MANIFEST.json", "FILES.json"))
    assert not stray, "files in the tarball that git ignores or does not see: %s" % stray

    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("pki", "lifecycle")
    assert info["dependencies"] == {}, "an offline install needs no dependencies"


def install(tarball, tmp_path):
    """Install the tarball into an empty collections path that is the only one Ansible sees
    (not the checkout's .collections): returns (installed collection dir, environment)."""
    collections = tmp_path / "collections"
    collections.mkdir()
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\ngathering = explicit\nretry_files_enabled = False\n"
                   "collections_path = %s\n" % collections)
    env = {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_COLLECTIONS_PATH": str(collections),
           "PKI_LIFECYCLE_INVENTORY": None}
    proc = run([tool("ansible-galaxy"), "collection", "install", tarball, "-p", collections],
               env=ansible_env(None, env))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = collections / "ansible_collections" / "pki" / "lifecycle"
    assert (installed / "MANIFEST.json").is_file(), proc.stdout
    return installed, env


def test_installs_offline_and_runs_the_demo(tarball, tmp_path):
    installed, env = install(tarball, tmp_path)
    assert not (installed / "bench").exists() and not (installed / "out").exists()

    doc = run([tool("ansible-doc"), "-j", "pki.lifecycle.certificate_issue"], env=ansible_env(None, env))
    assert doc.returncode == 0, doc.stderr
    filename = json.loads(doc.stdout)["pki.lifecycle.certificate_issue"]["doc"]["filename"]
    assert os.path.realpath(filename).startswith(os.path.realpath(installed) + os.sep), filename

    # as a user runs it: the installed playbook with the inventory shipped beside it
    demo = run_playbook(installed / "playbooks" / "demo.yml", inventory=installed / "playbooks" / "localhost.ini",
                        env=env, tmp_path=tmp_path, timeout=300)
    assert_ok(demo)
    issues = [r for r in demo.records(host="localhost", items=False) if r["action"] == "pki.lifecycle.certificate_issue"]
    assert [r["status"] for r in issues] == ["changed"] * 3 + ["ok"] * 3, [r["status"] for r in issues]
    assert demo.result("Revoke db.demo.test because its key was compromised")["changed"] is True
    counts = demo.result("Read the inventory")["counts"]
    # 3 issued, then www renewed and api rekeyed: 3 current (db revoked), the 2 replaced superseded
    assert counts["total"] == 3 and counts["revoked"] == 1 and counts["superseded"] == 2, counts
    # the demo wrote where the installed playbook lives, not into the checkout; the role play
    # deployed a full chain on each demo host
    assert (installed / "out" / "demo" / "inventory.db").is_file()
    hosts = sorted(p.name for p in (installed / "out" / "demo" / "hosts").iterdir())
    assert hosts and all(list((installed / "out" / "demo" / "hosts" / h).rglob("*fullchain*")) for h in hosts), hosts


def test_execution_environment(tarball, tmp_path):
    """ansible-builder finds the collection's Python and system requirements, and makes a build
    context for an execution environment holding the collection (docs/awx.md)."""
    installed, _env = install(tarball, tmp_path)
    collections = installed.parents[2]

    intro = run([tool("ansible-builder"), "introspect", "--sanitize", collections])
    assert intro.returncode == 0, intro.stdout + intro.stderr
    data = yaml.safe_load(intro.stdout)
    python = [line.split("#")[0].strip() for line in data["python"]]
    wanted = [line.strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert python == wanted and all("from collection pki.lifecycle" in line for line in data["python"])
    assert any(line.startswith("openssl ") for line in data["system"]), data["system"]

    bindep = run([tool("bindep"), "-f", REPO_ROOT / "bindep.txt", "-l", "newline"])
    assert bindep.returncode in (0, 1), bindep.stderr  # 1: packages missing here, still parsed

    # A user's EE definition (as in docs/awx.md) that installs the collection from its tarball.
    (tmp_path / "ee").mkdir()
    os.link(tarball, tmp_path / "ee" / tarball.name)
    (tmp_path / "ee" / "requirements.yml").write_text(
        "collections:\n  - name: /build/pki/%s\n    type: file\n" % tarball.name)
    (tmp_path / "ee" / "execution-environment.yml").write_text("""---
version: 3
images:
  base_image:
    name: quay.io/ansible/awx-ee:latest
dependencies:
  ansible_core:
    package_pip: ansible-core>=2.16,<2.20
  ansible_runner:
    package_pip: ansible-runner
  galaxy: requirements.yml
additional_build_files:
  - src: %s
    dest: pki
""" % tarball.name)
    context = tmp_path / "context"
    create = run([tool("ansible-builder"), "create", "-f", tmp_path / "ee" / "execution-environment.yml",
                  "-c", context, "--output-filename", "Containerfile"])
    assert create.returncode == 0, create.stdout + create.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile or "install-from-bindep" in containerfile
    assert (context / "_build" / "pki" / tarball.name).is_file()
    assert "/build/pki/%s" % tarball.name in (context / "_build" / "requirements.yml").read_text()
