"""Passwords in the commands agents run, where a tool's own syntax says which word is one.

`--password VALUE` and friends are caught by name (builtin.py: cli_password). These tools take
the password by a short flag that means something else elsewhere (`-p` is a port to ssh, a
password to docker login) or by position, so each is matched with its tool: `docker login -u U
-p P`, `az login -p P`, `mongosh -p P`, `ldapsearch -w P`, `mosquitto_pub -P P`, `rabbitmqadmin
-p P`, Samba's `-U user%P`, `htpasswd -b FILE USER P`, `rabbitmqctl add_user USER P`, `net use
\\\\HOST\\SHARE P`, `vault login TOKEN`, `gh secret set NAME --body VALUE`, `aws configure set
aws_secret_access_key VALUE`. Shapes from each tool's documentation; a variable, a placeholder
or a prompt (`-p $PW`, `-p '<password>'`, `vault login -method=github`) is not a value
(validators.bare_password).
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _ARG, _WORD_START, _add

# the tool's other arguments, on the same command; a positional value follows on the same line
_ARGS = r"[^\n|;&]{0,300}?\s"
_FORMS = (
    # -p is --password to these logins (docker's, podman's, az's)
    r"(?:docker|podman|nerdctl|buildah|skopeo|oras|finch|helm\s+registry|az)\s+login\b" + _ARGS + r"-p\s+",
    r"mongo(?:sh|dump|restore|export|import|stat|top|files)?\b" + _ARGS + r"-p\s+",
    r"ldap(?:search|add|modify|delete|passwd|compare|whoami|modrdn|exop|url)\b" + _ARGS + r"-w\s+",
    r"mosquitto_(?:pub|sub|rr)\b" + _ARGS + r"-P\s+",
    r"rabbitmqadmin\b" + _ARGS + r"-p\s+",
    # Samba: -U user%password
    r"(?:smbclient|rpcclient|smbcacls|smbget|smbmap|net\s+(?:rpc|ads))\b"
    + _ARGS
    + r"(?:-U|--user=?)\s*['\"]?[^\s%'\"]{1,128}%",
    # batch mode: htpasswd -b[c] FILE USER PASSWORD, htpasswd -nb USER PASSWORD
    r"htpasswd[ \t]+-[A-Za-z]*b[A-Za-z]*(?:[ \t]+-[A-Za-z]+)*(?:[ \t]+-C[ \t]+[0-9]+)?[ \t]+"
    r"(?:[^\s\-]\S*[ \t]+)?[^\s\-]\S*[ \t]+",
    r"rabbitmqctl\b[^\n|;&]{0,100}?[ \t](?:add_user|change_password)[ \t]+\S+[ \t]+",
    # net use [DRIVE] \\HOST\SHARE PASSWORD [/user:NAME] (the password is not an option or *)
    r"net[ \t]+use\b[^\n|;&]{0,100}?[ \t](?:\\\\)+\S+[ \t]+(?![/*])",
    r"vault[ \t]+login(?:[ \t]+-\S+)*[ \t]+(?![\w.\-]+=)",  # vault login TOKEN (not method=... pairs)
    r"gh\s+secret\s+set\b" + _ARGS + r"(?:--body|-b)(?:=|\s+)",
    r"aws[ \t]+configure[ \t]+set[ \t]+(?:[\w\-]+\.)?(?:aws_secret_access_key|aws_session_token)[ \t]+",
)

_add(
    "cli_tool_password",
    "password",
    _WORD_START + r"(?:" + "|".join(_FORMS) + r")" + _ARG,
    group=("dq", "sq", "bare"),
    priority=80,
    prefilter=(
        "login",
        "mongo",
        "ldap",
        "mosquitto_",
        "rabbitmq",
        "smb",
        "rpcclient",
        "net ",
        "htpasswd",
        "secret set",
        "configure set",
    ),
    validator=v.bare_password,
    anchor=(
        r"(?:docker|podman|nerdctl|buildah|skopeo|oras|finch|registry|az|vault)\s+login"
        r"|mongo(?:sh|dump|restore|export|import|stat|top|files)?\s"
        r"|ldap(?:search|add|modify|delete|passwd|compare|whoami|modrdn|exop|url)"
        r"|mosquitto_(?:pub|sub|rr)|rabbitmq(?:admin|ctl)|smbclient|rpcclient|smbcacls|smbget|smbmap"
        r"|net\s+(?:rpc|ads|use)\s|htpasswd|gh\s+secret\s+set|aws\s+configure\s+set"
    ),
    window=(8, 700),
    description="docker/az login -p, mongosh -p, ldapsearch -w, smbclient -U user%PASS, htpasswd -b, "
    "rabbitmqctl add_user, net use, vault login TOKEN, gh secret set --body, aws configure set",
)
