"""Secrets a service prints when it first starts, as agents read them from `docker logs`.

A service that makes its own admin password announces it in a sentence, and the value follows
the sentence's colon, on the same line or on a line of its own (each shape is the service's
documented output; values in the tests are made up):

- MySQL's log: `A temporary password is generated for root@localhost: VALUE`;
- Elasticsearch 8: `Password for the elastic user (reset with ...):` then `  VALUE`, the older
  `The generated password for the elastic built-in superuser is : VALUE`, and
  elasticsearch-reset-password's `successfully reset.` then `New value: VALUE`;
- Jenkins: `Please use the following password to proceed to installation:`, a blank line, VALUE.

A `password: VALUE` line without words between is the config rules' (builtin.py). An ACL
system's secret id is a UUID, which the id rules keep: Consul's and Nomad's `SecretID:` /
`Secret ID =` and Vault AppRole's `secret_id` are tokens whatever they look like.
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _add

_BREAK = r"(?:\r?\n|(?:\\r)?\\n)"
_ANNOUNCEMENTS = (
    # a temporary password is generated for root@localhost: / generated password for user elastic:
    r"(?i:temporary|generated|initial|random|one-time)[ \t]+(?i:password)[^\n:\\\"]{0,80}?:",
    # Password for the elastic user (reset with `bin/elasticsearch-reset-password -u elastic`):
    r"(?i:password)[ \t]+for[ \t]+(?:the[ \t]+)?\[?[\w.\-@]{1,64}\]?[ \t]+user(?:[ \t]*\([^)\n]{0,160}\))?[ \t]*:",
    r"(?i:use the following password)[^\n:\\\"]{0,80}:",
    r"successfully reset\.?[ \t]*" + _BREAK + r"[ \t]*New value:",
)
# the value: on the same line after the colon, or alone on one of the next three lines
_VALUE = (
    r"[ \t]*(?:" + _BREAK + r"[ \t]*){0,3}`?(?P<s>[^\s\"'`\\{}$<(%]" + r"[^\s\"'`\\]{5,255}+)`?"
    r"(?=[ \t]*(?:$|\r?\n|\\[nr]|\\?\"))"
)
_add(
    "announced_password",
    "password",
    r"(?m)(?:" + "|".join(_ANNOUNCEMENTS) + r")" + _VALUE,
    priority=78,
    prefilter=("assword", "ASSWORD", "New value"),
    validator=v.flag_password,
    anchor=r"(?i)(?:(?:temporary|generated|initial|random|one-time)\s+password|password\s+for\s"
    r"|use the following password|successfully reset)",
    window=(0, 400),
    description="a password a service announces: A temporary password is generated for root@localhost: VALUE",
)

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_add(
    "acl_secret_id",
    "secret",
    # SecretID: UUID, "SecretID": "UUID", Secret ID = UUID, secret_id   UUID (a table's columns)
    r"\b(?i:secret[_\- ]?id)(?![\w\-])\\?[\"']?[ \t]*(?:[:=][ \t]*|[ \t]{2,})\\?[\"']?(?P<s>" + _UUID + r")\b",
    priority=82,
    prefilter=("ecret", "ECRET"),
    validator=v.not_mask,
    anchor=r"(?i)secret[_\- ]?id",
    window=(0, 120),
    description="Consul's and Nomad's SecretID, Vault AppRole's secret_id: tokens shaped like UUIDs",
)
