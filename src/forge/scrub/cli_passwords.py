"""Passwords in the commands agents run, where a tool's own syntax says which word is one.

`--password VALUE` and friends are caught by name (builtin.py: cli_password). These tools take
the password by a short flag that means something else elsewhere (`-p` is a port to ssh, a
password to docker login) or by position, so each is matched with its tool: `docker login -u U
-p P`, `az login -p P`, `mongosh -p P`, `ldapsearch -w P`, `mosquitto_pub -P P`, `rabbitmqadmin
-p P`, Samba's `-U user%P`, `htpasswd -b FILE USER P`, `rabbitmqctl add_user USER P`, `net use
\\\\HOST\\SHARE P`, `vault login TOKEN`, `wandb login KEY`, `gh secret set NAME --body VALUE`, `aws configure set
aws_secret_access_key VALUE`, `zip -P P`, `openssl passwd P`, `net user NAME P`; and the 7z/rar
glued `-pP`, keytool's `-storepass`, a password fed to `sudo -S`, `chpasswd` or a secret store
on standard input, and an expect script's `send` after a password prompt. Shapes from each
tool's documentation; a variable, a placeholder or a prompt (`-p $PW`, `-p '<password>'`,
`vault login -method=github`) is not a value (validators.bare_password).
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _ARG, _BLANKS, _CMD_GAP, _WORD_START, _add
from forge.scrub.gutters import GUTTER

# the tool's other arguments, on the same command (a line ending in \ goes on); a positional
# value follows on the same line
_ARGS = _CMD_GAP.format(n=300) + r"\s"
_FORMS = (
    # -p is --password to these logins (docker's, podman's, az's, Expo's)
    r"(?:docker|podman|nerdctl|buildah|skopeo|oras|finch|helm\s+registry|az|expo)\s+login\b" + _ARGS + r"-p\s+",
    r"mongo(?:sh|dump|restore|export|import|stat|top|files)?\b" + _ARGS + r"-p\s+",
    r"ldap(?:search|add|modify|delete|passwd|compare|whoami|modrdn|exop|url)\b" + _ARGS + r"-w\s+",
    r"mosquitto_(?:pub|sub|rr)\b" + _ARGS + r"-P\s+",
    r"rabbitmqadmin\b" + _ARGS + r"-p\s+",
    # Samba: -U user%password
    r"(?:smbclient|rpcclient|smbcacls|smbget|smbmap|net\s+(?:rpc|ads))\b"
    + _ARGS
    + r"(?:-U|--user=?)\s*['\"]?[^\s%'\"]{1,128}%",
    # batch mode: htpasswd -b[c] FILE USER PASSWORD, htpasswd -nb USER PASSWORD
    r"htpasswd[ \t]+-[A-Za-z]*b[A-Za-z]*(?:[ \t]+-[A-Za-z]+)*(?:[ \t]+-C[ \t]+[0-9]+)?"
    + _BLANKS
    + r"(?:[^\s\-\\]\S*"
    + _BLANKS
    + r")?[^\s\-\\]\S*"
    + _BLANKS,
    r"rabbitmqctl\b[^\n|;&]{0,100}?[ \t](?:add_user|change_password)[ \t]+\S+[ \t]+",
    # net use [DRIVE] \\HOST\SHARE PASSWORD [/user:NAME] (the password is not an option or *)
    r"net[ \t]+use\b[^\n|;&]{0,100}?[ \t](?:\\\\)+\S+[ \t]+(?![/*])",
    r"vault[ \t]+login(?:[ \t]+-\S+)*[ \t]+(?![\w.\-]+=)",  # vault login TOKEN (not method=... pairs)
    # net use \\HOST\SHARE /user:NAME PASSWORD (the password after the user option)
    r"net[ \t]+use\b[^\n|;&]{0,200}?[ \t]/u(?:ser)?:\S+[ \t]+(?![/*])",
    # wandb login [--relogin] API_KEY
    r"wandb[ \t]+login(?:[ \t]+-\S+)*[ \t]+(?!-)",
    r"gh\s+secret\s+set\b" + _ARGS + r"(?:--body(?:=|\s+)|-b\s*)",
    r"aws[ \t]+configure[ \t]+set[ \t]+(?:[\w\-]+\.)?(?:aws_secret_access_key|aws_session_token)[ \t]+",
    # archives: zip -P PASSWORD, unzip -P PASSWORD (7z and rar glue it on: below)
    r"(?:zip|unzip|zipcloak)\b" + _ARGS + r"-P[ \t]+",
    # Wi-Fi: nmcli ... password PSK, wpa_passphrase SSID PASSPHRASE
    r"nmcli\b" + _ARGS + r"(?:password|wifi-sec\.psk|802-11-wireless-security\.psk)[ \t]+",
    r"wpa_passphrase[ \t]+(?:\"[^\"\n]{1,64}\"|'[^'\n]{1,64}'|\S+)[ \t]+",
    # accounts: openssl passwd [-1|-6|-salt S] PASSWORD, net user NAME PASSWORD, dscl . -passwd
    # /Users/NAME PASSWORD, mysqladmin password PASSWORD, macOS keychain -w PASSWORD
    r"openssl[ \t]+passwd(?:[ \t]+-(?:salt[ \t]+\S+|\w+))*[ \t]+",
    r"net[ \t]+user[ \t]+(?:\"[^\"\n]{1,64}\"|[^\s/*]\S*)[ \t]+(?![/*])",
    r"dscl[ \t]+\S+[ \t]+-passwd[ \t]+\S+[ \t]+",
    r"mysqladmin\b" + _ARGS + r"password[ \t]+",
    r"security[ \t]+add-(?:generic|internet)-password\b" + _ARGS + r"-w[ \t]+",
    # remote desktop: xfreerdp /v:HOST /u:USER /p:PASSWORD; openssl enc -k PASSWORD
    r"(?:xfreerdp|wlfreerdp|sdl-freerdp)\b" + _ARGS + r"/p:",
    r"openssl[ \t]+(?:enc|aes-\S+|des\S*|bf\S*)\b" + _ARGS + r"-k[ \t]+",
    # PowerShell: ConvertTo-SecureString 'PASSWORD' -AsPlainText; SetEnvironmentVariable('X_TOKEN', 'VALUE')
    r"(?i:ConvertTo-SecureString)(?:[ \t]+-String)?[ \t]+",
    r"SetEnvironmentVariable\([ \t]*['\"][^'\"\n]{0,64}(?i:pass|token|secret|key)[^'\"\n]{0,64}['\"][ \t]*,[ \t]*",
    # dotnet user-secrets set "Db:Password" VALUE (the tool stores secrets: the value is one)
    r"dotnet[ \t]+user-secrets[ \t]+set[ \t]+(?:\\?\"[^\"\n]{1,128}\\?\"|'[^'\n]{1,128}'|\S+)[ \t]+",
    # MinIO's client: mc alias set NAME URL ACCESS_KEY SECRET_KEY (and its older config host add)
    r"mc[ \t]+(?:alias[ \t]+set|config[ \t]+host[ \t]+add)[ \t]+\S+[ \t]+\S+[ \t]+\S+[ \t]+",
    # cloudflared service install TUNNEL_TOKEN
    r"cloudflared(?:\.exe)?[ \t]+service[ \t]+install[ \t]+",
    # lftp -u USER,PASSWORD
    r"lftp\b" + _ARGS + r"-u[ \t]+[^\s,]{1,128},",
    # package registries: poetry config http-basic.REPO USER PASSWORD, twine upload -p PASSWORD,
    # nuget add source -p PASSWORD, npm/pnpm/yarn config set AUTH_KEY VALUE
    r"poetry[ \t]+config[ \t]+http-basic\.\S+[ \t]+\S+[ \t]+",
    r"twine[ \t]+upload\b" + _ARGS + r"-p[ \t]+",
    r"nuget[ \t]+(?:add|update)[ \t]+source\b" + _ARGS + r"-p[ \t]+",
    r"(?:npm|pnpm|yarn)[ \t]+config[ \t]+set[ \t]+\S*"
    r"(?:_authToken|_auth|_password|npmAuthToken|npmAuthIdent)(?:=|[ \t]+)",
    # ssh-keygen -N NEW_PASSPHRASE, -P OLD_PASSPHRASE
    r"ssh-keygen\b" + _ARGS + r"-[NP][ \t]+",
    # ansible-vault encrypt_string [--name X] VALUE: the value it is given to encrypt; hydra -p PASSWORD
    r"ansible-vault[ \t]+encrypt_string(?:[ \t]+--[\w\-]+(?:=\S+|[ \t]+(?!-)\S+))*[ \t]+(?!-)",
    r"hydra\b" + _ARGS + r"-p[ \t]+",
    # a secret store's write: the value given is the secret (SSM only for its SecureString type)
    r"az[ \t]+keyvault[ \t]+secret[ \t]+set\b" + _ARGS + r"--value(?:=|[ \t]+)",
    r"aws[ \t]+secretsmanager[ \t]+(?:create-secret|put-secret-value|update-secret)\b"
    + _ARGS
    + r"--secret-string(?:=|[ \t]+)",
    r"aws[ \t]+ssm[ \t]+put-parameter\b(?=[^\n|;&]{0,400}SecureString)" + _ARGS + r"--value(?:=|[ \t]+)",
    # fish: set -x DB_PASSWORD VALUE
    r"set[ \t]+(?:-[A-Za-z]+[ \t]+)+(?:[A-Z0-9]+_)*(?:PASSWORD|PASSWD|PASS|PWD|TOKEN|SECRET|API_KEY)"
    r"(?:_[A-Z0-9]+)*[ \t]+",
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
        "wandb",
        "secret set",
        "configure set",
        "zip",
        "nmcli",
        "wpa_passphrase",
        "passwd",
        "net user",
        "mysqladmin",
        "-password",
        "SecureString",
        "securestring",
        "SetEnvironmentVariable",
        "set -",
        "user-secrets",
        "freerdp",
        "openssl",
        "mc ",
        "lftp",
        "cloudflared",
        "poetry",
        "twine",
        "nuget",
        "config set",
        "ssh-keygen",
        "keyvault",
        "secretsmanager",
        "put-parameter",
        "encrypt_string",
        "hydra",
    ),
    validator=v.flag_password,
    anchor=(
        r"(?:docker|podman|nerdctl|buildah|skopeo|oras|finch|registry|az|vault|expo)\s+login"
        r"|mongo(?:sh|dump|restore|export|import|stat|top|files)?\s"
        r"|ldap(?:search|add|modify|delete|passwd|compare|whoami|modrdn|exop|url)"
        r"|mosquitto_(?:pub|sub|rr)|rabbitmq(?:admin|ctl)|wandb\s+login|smbclient|rpcclient|smbcacls|smbget|smbmap"
        r"|net\s+(?:rpc|ads|use)\s|htpasswd|gh\s+secret\s+set|aws\s+configure\s+set"
        r"|(?:zip|unzip|zipcloak)\s|nmcli\s|wpa_passphrase\s"
        r"|openssl\s+passwd|net\s+user\s|dscl\s|mysqladmin|add-(?:generic|internet)-password|(?i:convertto-securestring)"
        r"|SetEnvironmentVariable|set\s+-[A-Za-z]+\s+(?:[A-Z0-9]+_)*(?:PASS|PWD|TOKEN|SECRET|API_KEY)"
        r"|user-secrets\s+set|(?:xfreerdp|wlfreerdp|sdl-freerdp)\s|openssl\s+(?:enc|aes-|des|bf)"
        r"|mc\s+(?:alias|config)\s|lftp\s|cloudflared(?:\.exe)?\s+service"
        r"|poetry\s+config|twine\s+upload|nuget\s+(?:add|update)|config\s+set\s|ssh-keygen"
        r"|keyvault\s+secret|aws\s+secretsmanager|put-parameter|encrypt_string|hydra\s"
    ),
    window=(16, 700),
    description="docker/az login -p, mongosh -p, ldapsearch -w, smbclient -U user%PASS, htpasswd -b, "
    "rabbitmqctl add_user, net use, vault/wandb login TOKEN, gh secret set --body, aws configure set, zip -P, "
    "nmcli password, wpa_passphrase, mc alias set, lftp -u user,PASS, poetry http-basic, twine/nuget -p, "
    "npm config set _authToken, ssh-keygen -N, keyvault/secretsmanager/SSM SecureString values",
)

# Oracle's tools take USER/PASSWORD[@DB]: sqlplus -s app/PASSWORD@//host:1521/XE, rman target
# sys/PASSWORD, expdp userid=app/PASSWORD (sqlplus / as sysdba names no user and has none)
_add(
    "oracle_login_password",
    "password",
    _WORD_START
    + r"(?:sqlplus|sqlcl|expdp|impdp|rman|sqlldr|dgmgrl)(?:\.exe)?(?:[ \t]+-\S+)*[ \t]+"
    + r"(?:target[ \t]+|userid=)?[A-Za-z][\w$#]{0,127}/(?P<s>[^\s/@\"'`;&|<>\\]{1,128}+)(?=@|[ \t]|$|\\)",
    priority=80,
    prefilter=("sqlplus", "sqlcl", "expdp", "impdp", "rman", "sqlldr", "dgmgrl"),
    validator=v.flag_password,
    # (the tool's name, not a word's end: German, chairman)
    anchor=r"(?:^|[^A-Za-z0-9_\-]|\\[nrt])(?:sqlplus|sqlcl|expdp|impdp|rman|sqlldr|dgmgrl)(?:\.exe)?[ \t]",
    window=(0, 400),
    description="sqlplus USER/PASSWORD@DB, rman target sys/PASSWORD, expdp userid=USER/PASSWORD",
)

# A password given as a setting on the command line: helm --set auth.password=VALUE (helm
# separates settings with commas), kubectl create secret --from-literal=password=VALUE, and a
# mount's options: mount -o username=me,password=VALUE
_SETTING_KEY = (
    r"[A-Za-z0-9_.\-\[\]]{0,80}?(?:[Pp]assword|PASSWORD|[Pp]asswd|[Pp]assphrase|[Pp]ass|PASS|[Pp]wd|PWD)[0-9]{0,2}"
)
_add(
    "cli_setting_password",
    "password",
    r"(?:--set(?:-string|-literal)?|--from-literal)(?:=|[ \t]+)\\?[\"']?"
    + _SETTING_KEY
    + r"=(?P<s>[^\s\"'`,;&|<>()\\]{1,256}+)"
    r"|-o[ \t]+(?:[^\s,]{1,80},){0,12}(?:password|pass)=(?P<m>[^\s\"'`,;&|<>()\\]{1,256}+)",
    group=("s", "m"),
    priority=80,
    prefilter=("--set", "--from-literal", "-o "),
    validator=v.flag_password,
    anchor=r"--set|--from-literal|-o[ \t]",
    window=(0, 1_400),
    description="helm --set x.password=VALUE, kubectl --from-literal=password=VALUE, mount -o password=VALUE",
)

# aws configure's prompts, as its session shows them: AWS Secret Access Key [None]: VALUE
_add(
    "aws_configure_prompt",
    "aws_secret_key",
    r"AWS Secret Access Key \[[^\]\r\n]{0,40}\]:[ \t]*(?P<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    priority=85,
    prefilter=("AWS Secret Access Key",),
    validator=v.not_mask,
    anchor=r"AWS Secret Access Key \[",
    window=(0, 140),
    description="the secret key typed at aws configure's prompt",
)

_add(
    "cli_glued_password",
    "password",
    # 7z a -pSECRET, rar a -pSECRET (the password glued to -p, as mysql's is: builtin.py)
    _WORD_START + r"(?:7z|7za|7zr|rar|unrar)\b" + _ARGS + r"-p(?P<s>[^\s'\"\\`;&|<>]{3,128}+)",
    priority=80,
    prefilter=("7z", "rar"),
    validator=v.bare_password,
    anchor=r"(?:7z|7za|7zr|rar|unrar)\s",
    window=(8, 500),
    description="7z a -pSECRET, rar a -pSECRET",
)

_add(
    "keystore_password",
    "password",
    # keytool and jarsigner: -storepass, -keypass, -srcstorepass, -destkeypass ... (a command has
    # several, so each flag is matched on its own: the flag names are the tools' own)
    r"-(?<![\w\-]-)(?:src|dest|new)?(?:store|key)pass(?!:)[ \t]+" + _ARG,
    group=("dq", "sq", "bare"),
    priority=80,
    prefilter=("pass",),
    validator=v.bare_password,
    anchor=r"-(?:src|dest|new)?(?:store|key)pass\s",
    window=(1, 300),
    description="keytool / jarsigner -storepass, -keypass",
)

# secret stores that take the secret on standard input
_STORES = (
    r"(?:npx[ \t]+|bunx[ \t]+)?(?:gh[ \t]+secret[ \t]+set|vercel[ \t]+env[ \t]+add|docker[ \t]+secret[ \t]+create"
    r"|wrangler[ \t]+(?:pages[ \t]+)?secret[ \t]+put|gcloud[ \t]+secrets[ \t]+(?:create|versions[ \t]+add)"
    r"|firebase[ \t]+functions:secrets:set|netlify[ \t]+env:set"
    # a CLI that logs in with a token read from standard input
    r"|gh[ \t]+auth[ \t]+login\b[^\n|;&<]{0,100}?--with-token)"
)
_add(
    "stdin_password",
    "password",
    # the password piped or fed to sudo -S (it reads it from standard input)
    r"(?:" + _WORD_START + r"(?:echo(?:[ \t]+-[ne]+)?|printf(?:[ \t]+'%s(?:\\\\n)?')?)[ \t]+"
    r"(?:'(?P<esq>[^'\\\r\n]{3,256})'|\\?\"(?P<edq>[^\"\\\r\n]{3,256})\\?\"|(?P<ebare>[^\s'\"`;&|<>()\\]{3,256}+))"
    r"(?:\\\\?n)?[ \t]*\|[ \t]*(?:sudo[ \t]+(?:-[A-Za-z]+[ \t]+)*-[A-Za-z]*S"
    # (RHEL's passwd --stdin USER sets a user's password from it)
    r"|(?:sudo[ \t]+)?passwd[ \t]+--stdin\b"
    # ... or into a secret store, which takes the secret on standard input
    r"|" + _STORES + r")"
    r"|"
    + _WORD_START
    + r"(?:sudo[ \t]+(?:-[A-Za-z]+[ \t]+)*-[A-Za-z]*S\b|"
    + _STORES
    + r")[^\n|;&<]{0,300}?<<<[ \t]*"
    + _ARG
    # user:password lines fed to chpasswd
    # gpg --passphrase-fd 0 ... <<< PASSPHRASE
    + r"|"
    + _WORD_START
    + r"gpg2?\b[^\n|;&<]{0,300}?--passphrase-fd[ \t]+0\b[^\n|;&<]{0,300}?<<<[ \t]*"
    r"(?:'(?P<gsq>[^'\\\r\n]{1,256})'|\\?\"(?P<gdq>[^\"\\\r\n]{1,256})\\?\"|(?P<gbare>[^\s'\"`;&|<>()\\]{1,256}+))"
    + r"|"
    + _WORD_START
    + r"chpasswd[ \t]*<<<[ \t]*['\"]?[^\s:'\"]{1,64}:(?P<cpw>[^\s'\"\\]{1,256})"
    r"|" + _WORD_START + r"(?:echo|printf)[ \t]+['\"]?[^\s:'\"|]{1,64}:(?P<cpe>[^\s'\"\\|]{1,256})['\"]?"
    r"[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd)",
    group=("esq", "edq", "ebare", "dq", "sq", "bare", "gsq", "gdq", "gbare", "cpw", "cpe"),
    priority=80,
    prefilter=("sudo", "chpasswd", "passphrase-fd", "secret", "env add", "env:set", "with-token", "--stdin"),
    validator=v.flag_password,
    # (each store's own words: "secrets " alone is in every sentence about them)
    anchor=r"sudo\s|chpasswd|passphrase-fd|secret\s+(?:set|create|put)|env\s+add|secrets\s+(?:create|versions)"
    r"|passwd\s+--stdin"
    r"|secrets:set|env:set|with-token",
    window=(300, 400),
    description="echo PASSWORD | sudo -S (or passwd --stdin), sudo -S ... <<< PASSWORD, a secret store's <<< VALUE, "
    "user:PASSWORD fed to chpasswd, "
    "gpg --passphrase-fd 0 <<< PASSPHRASE",
)

_add(
    "expect_send_password",
    "password",
    # an expect script answers a password prompt: expect "*assword*" then send "SECRET\r"
    _WORD_START + r"expect[ \t]+(?:-\w+[ \t]+)*(?:\\?\"[^\"\n]{0,80}|'[^'\n]{0,80}|\{[^}\n]{0,80}|\S{0,80})"
    # (not a placeholder's word: expect "<SECRET:password>" is a scrubbed prompt, and a second
    # scrub must change nothing)
    r"(?:(?<!SECRET:p)assword|assphrase|PASSWORD|PASSPHRASE)"
    r"[^\n]{0,80}?(?:(?:\r?\n|(?:\\r)?\\n)(?:" + GUTTER + r")?|;)[ \t]*send[ \t]+(?:--[ \t]+)?"
    r"\\?\"(?P<s>[^\"\\\r\n]{1,256}?)(?:\\\\?[rn])?\\?\"",
    priority=80,
    prefilter=("expect",),
    validator=v.quoted_password,
    anchor=r"expect\s",
    window=(8, 600),
    description='expect "password:" then send "SECRET\\r"',
)
