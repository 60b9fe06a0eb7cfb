"""A person's login name where a shell shows it without a home path beside it: a prompt
(alice@laptop:~/src$), `id` and `whoami` output, the USER and LOGNAME variables, ~alice/, and
home paths a Windows machine writes for its Linux side (/mnt/c/Users/alice, \\\\wsl$\\Ubuntu\\home\\alice).

Each is a login name like a home path's (known_names.NAME_DETECTORS): found once, it is replaced
wherever else it stands in the conversation or file. Shared and system accounts (root, ubuntu,
node, postgres) are no person's (validators.home_user, file_owner).

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _add, _start

_NAME = r"[a-z_][a-z0-9_\-]{0,31}"  # a POSIX login name (useradd's default rule)
_LINE = r"(?m)(?:^|(?<=\\n)|(?<=\"))"  # a line's start, also after a JSON-escaped break or a quote
_BREAK = r"(?:\r?\n|(?:\\r)?\\n)"

# what follows the user in a prompt: @host, maybe :path (bash) or a folder (zsh), the prompt sign
_AFTER_USER = r"@[A-Za-z0-9][\w.\-]{0,62}(?::[~/][^\s$#%\\]{0,200})?(?:[ \t][^\s$#%\]\\]{1,100})?\]?[ \t]?[$#%]"
# A prompt: alice@laptop:~/src$ (bash), (venv) alice@MacBook-Pro src % (zsh), [alice@fedora src]$
_add(
    "prompt_user",
    "user",
    _LINE + r"(?:\([\w.\-]{1,64}\)[ \t]+)?\[?(?P<s>" + _NAME + r")" + _AFTER_USER + r"(?=[ \t]|$|\\n)",
    priority=30,
    validator=v.file_owner,
    # (the shape of each prompt, cheap to find: an anchor at every '@' cost the engine a tenth of
    # its time on real sessions, and one at every '[' (JSON's arrays) 7%, measured): bash's
    # @host:~ or @host:/, Fedora's closing ]$, zsh's " % "
    anchor=r"@[A-Za-z0-9][\w.\-]{0,62}:[~/]|\][$#][ \t]|[ \t]%[ \t]",
    window=(200, 320),
    description="the user in a shell prompt (alice@laptop:~/src$, [alice@fedora src]$)",
)

# id: uid=1000(alice) gid=1000(alice); whoami's one line
_add(
    "id_output_user",
    "user",
    r"\buid=[0-9]{1,10}\((?P<s>" + _NAME + r")\)",
    priority=30,
    validator=v.file_owner,
    anchor=r"uid=[0-9]{1,10}\(",
    window=(0, 50),
    description="the user in `id` output (uid=1000(alice))",
)
_add(
    "whoami_user",
    "user",
    r"\bwhoami[ \t]*" + _BREAK + r"(?P<s>" + _NAME + r")[ \t]*(?=" + _BREAK + r"|$|\\?\")",
    priority=30,
    validator=v.file_owner,
    anchor=r"whoami[ \t]*(?:\r?\n|\\[rn])",
    window=(0, 50),
    description="the line `whoami` printed",
)

# The login variables (env, printenv, a shell's set): USER=alice, LOGNAME=alice. Not USERNAME,
# which configs use for service accounts (USERNAME=deploy)
_add(
    "login_variable_user",
    "user",
    _LINE + r"(?:export[ \t]+)?(?:USER|LOGNAME)=(?P<s>" + _NAME + r")(?=[ \t]*(?:$|" + _BREAK + r"|\\?\"))",
    priority=30,
    validator=v.file_owner,
    anchor=r"(?:USER|LOGNAME)=",
    window=(20, 50),
    description="USER=alice, LOGNAME=alice (a shell's login variables)",
)

# ~alice/src: a user's home by the shell's tilde
_add(
    "tilde_user",
    "user",
    # (not a web page's /~name/: a university's public home page, in a URL)
    # (nor a formula's ~n/2, ~eps/1e-3: three letters or more, then a path's name)
    _start(r"\w~$/.\-") + r"~(?P<s>[a-z_][a-z0-9_\-]{2,31})(?=/[A-Za-z._])",
    priority=30,
    validator=v.home_user,
    anchor=r"~[a-z_][a-z0-9_\-]{2,31}/",
    window=(1, 40),
    description="~NAME/ (another user's home by the shell's tilde)",
)

# Windows' views of a Linux home and Linux's of a Windows one: \\wsl$\Ubuntu\home\alice,
# \\wsl.localhost\Ubuntu\home\alice, /mnt/c/Users/alice (backslashes JSON-escaped too)
_add(
    "wsl_home_user",
    "user",
    r"\\{2,4}wsl(?:\$|\.localhost)\\{1,2}[^\\\s\"]{1,64}\\{1,2}home\\{1,2}(?P<s>[A-Za-z0-9._\-]{1,64}+)"
    r"|/mnt/[a-z]/Users/(?P<m>[A-Za-z0-9._\-]{1,64}+)",
    group=("s", "m"),
    priority=30,
    validator=v.home_user,
    anchor=r"wsl(?:\$|\.localhost)\\|/mnt/[a-z]/Users/",
    window=(4, 200),
    description="the user in \\\\wsl$\\DISTRO\\home\\NAME and /mnt/c/Users/NAME",
)

NAMES = ("prompt_user", "id_output_user", "whoami_user", "login_variable_user", "tilde_user", "wsl_home_user")
