"""A signing or encryption key written as a literal argument of the call that uses it.

No key name stands beside it, only the call: `jwt.encode(payload, "KEY", algorithm="HS256")`
(PyJWT), `jwt.sign(payload, "KEY")` (jsonwebtoken), `JWT.encode(payload, 'KEY', 'HS256')`
(ruby-jwt), `Fernet(b"KEY")`, `AES.new(b"KEY", ...)`, `hmac.new(b"KEY", ...)`,
`crypto.createHmac("sha256", "KEY")`, PHP's `hash_hmac("sha256", $data, "KEY")`, Java's
`new SecretKeySpec("KEY".getBytes(), ...)`, Go's `SignedString([]byte("KEY"))`. Each call's
documented signature says which argument is the key. A key must look random (the docs' "secret"
and "my-secret-key" are words, and the value in a test stays readable to the agent).
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _WORD_START, _add

_Q = r"\\?[\"']"  # a quote, maybe JSON-escaped (code inside a tool result)
_SP = r"(?:\s|\\[nrt]){0,40}"  # white space, or a line break escaped in a transcript line
_ARG = r"[^,()\n]{1,200}?," + _SP  # an argument before the key
_KEY = r"b?" + _Q + r"(?P<s>[^\"'\\\r\n]{8,512}+)" + _Q
_CALLS = (
    r"jwt\.(?:encode|decode|sign|verify)\(" + _SP + _ARG,
    r"JWT\.(?:encode|decode)\(" + _SP + _ARG,
    r"Fernet\(" + _SP,
    r"(?:AES|DES3?|ChaCha20(?:_Poly1305)?|Salsa20|Blowfish|ARC4)\.new\(" + _SP,
    r"(?:hmac|HMAC)\.(?:new|digest)\(" + _SP,
    r"create(?:Hmac|Cipheriv|Decipheriv)\(" + _SP + _Q + r"[\w\-]{2,40}" + _Q + _SP + "," + _SP,
    r"hash_hmac\(" + _SP + _Q + r"[\w\-]{2,40}" + _Q + _SP + "," + _SP + _ARG,
    r"OpenSSL::HMAC\.(?:hexdigest|digest|base64digest)\(" + _SP + _ARG,
    r"new\s+SecretKeySpec\(" + _SP,
    r"SignedString\(\s*\[\]byte\(" + _SP,
    r"hmac\.New\(\s*[\w.]{1,40}\s*,\s*\[\]byte\(" + _SP,
)

_add(
    "crypto_call_key",
    "secret",
    _WORD_START + r"(?:" + "|".join(_CALLS) + r")" + _KEY,
    priority=70,
    prefilter=("jwt.", "JWT.", "Fernet(", ".new(", "hmac", "Hmac", "HMAC", "Cipheriv", "SecretKeySpec", "SignedString"),
    validator=v.looks_random,
    anchor=r"jwt\.(?:encode|decode|sign|verify)\(|JWT\.(?:encode|decode)\(|Fernet\("
    r"|(?:AES|DES3?|ChaCha20(?:_Poly1305)?|Salsa20|Blowfish|ARC4)\.new\(|(?:hmac|HMAC)\.(?:new|digest)\("
    r"|create(?:Hmac|Cipheriv|Decipheriv)\(|hash_hmac\(|SecretKeySpec\(|SignedString\(|hmac\.New\(",
    window=(48, 500),
    description='a key as a crypto call\'s literal argument: jwt.encode(p, "KEY"), Fernet(b"KEY")',
)
