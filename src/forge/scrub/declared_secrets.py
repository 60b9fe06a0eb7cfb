"""Values a tool's JSON output itself marks as secret, under a key that says nothing ("value",
"Value", "data"):

- `terraform output -json`: `{"db_password": {"sensitive": true, "type": "string", "value": "…"}}`;
- `aws ssm get-parameter --with-decryption`: `{"Name": "…", "Type": "SecureString", "Value": "…"}`;
- `gcloud secrets versions access --format=json`: `{"name": "projects/…/secrets/…/versions/…",
  "payload": {"data": "<base64>"}}`.

A sensitive value may be a plain word (the tool has said what it is); references and masks are
not values.
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _add

_Q = r"\\?\""  # a quote, escaped in a transcript line
_SP = r"(?:\s|\\[nrt])*"  # white space, or a line break escaped in a transcript line
_KV = _SP + ":" + _SP
_STRING = _Q + r"(?P<{g}>(?:[^\"\\\r\n]|\\[^\"\r\nnrt]){{1,4096}}+)" + _Q
_OBJECT_REST = r"(?:[^{}]|\{[^{}]*\}){0,400}?"  # the object's other members (a type may hold one level of {})

_KEY = _Q + "{k}" + _Q + _KV  # "key":
_SECURE_STRING = _Q + r"Type" + _Q + _KV + _Q + r"SecureString" + _Q
_FORMS = (
    # terraform: "sensitive": true, "type": ..., "value": "..."
    _Q
    + r"sensitive"
    + _Q
    + _KV
    + r"true"
    + _SP
    + ","
    + _OBJECT_REST
    + _Q
    + r"value"
    + _Q
    + _KV
    + _STRING.format(g="tf"),
    # SSM: "Type": "SecureString", "Value": "..." (and the other way round)
    _SECURE_STRING + _SP + r",[^{}]{0,400}?" + _Q + r"Value" + _Q + _KV + _STRING.format(g="ssm"),
    _Q + r"Value" + _Q + _KV + _STRING.format(g="ssm_first") + _SP + r",[^{}]{0,400}?" + _SECURE_STRING,
    # GCP: "name": "projects/.../secrets/NAME/versions/N", "payload": {"data": "<base64>"}
    r"/secrets/[^\"\\\s]{1,255}/versions/[^\"\\\s]{1,64}"
    + _Q
    + _SP
    + ","
    + _SP
    + _KEY.format(k="payload")
    + r"\{"
    + _SP
    + _KEY.format(k="data")
    + _Q
    + r"(?P<gcp>[A-Za-z0-9+/_\-]{4,65536}+={0,2})"
    + _Q,
)
_add(
    "declared_secret_value",
    "secret",
    "|".join(_FORMS),
    group=("tf", "ssm", "ssm_first", "gcp"),
    priority=70,
    prefilter=("sensitive", "SecureString", "payload"),
    validator=v.env_password,
    anchor=r"sensitive\\?\"\s*:\s*true|SecureString|/secrets/[^\"\\\s]{1,255}/versions/",
    window=(600, 1_200),
    description="values a tool marks secret: terraform's sensitive outputs, SSM SecureStrings, GCP secret payloads",
)

# terraform plan shows a changed attribute as `old -> new` (~ master_password = "a" -> "b"): the
# password rules take the old value, before the arrow; the new one is the password now
_add(
    "terraform_changed_password",
    "password",
    r"[A-Za-z0-9_]{0,60}?(?:password|passwd|passphrase|secret|token)[A-Za-z0-9_]{0,20}[ \t]*=[ \t]*"
    + _Q
    + r"[^\"\\\r\n]{0,256}"
    + _Q
    + r"[ \t]*->[ \t]*"
    + _Q
    + r"(?P<s>(?:[^\"\\\r\n]|\\[^\"\r\nnrt]){1,256}+)"
    + _Q,
    priority=62,
    prefilter=("->",),
    validator=v.quoted_password,
    anchor=r"\"[ \t]*->[ \t]*\\?\"",
    window=(400, 300),
    description='terraform plan: ~ master_password = "old" -> "new" (the new value)',
)
