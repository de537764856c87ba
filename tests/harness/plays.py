"""Plays that many tests start with, as YAML text to put in front of a test's own plays."""
from __future__ import annotations

LOCAL_CA = """
- name: CA on the controller
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.local_ca
      local_ca_ra_profile: %(ra_profile)s
      local_ca_directory: "%(work)s/ca"
      local_ca_subject: %(subject)s
      local_ca_policy: {allowed_names: ["**.test"]}
"""


def local_ca_play(work: str, subject: str, ra_profile: str = 'web', tasks: str = '') -> str:
    """The embedded CA in ``<work>/ca`` (RA profile ``ra_profile``, names under .test) with the
    SQLite inventory ``<work>/inventory.db``; ``tasks``: YAML of a ``tasks:`` section to add."""
    text = LOCAL_CA % dict(work=work, ra_profile=ra_profile, subject=subject)
    return text + tasks
