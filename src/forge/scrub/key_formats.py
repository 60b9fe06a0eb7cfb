"""Private keys that are not PEM blocks: a PuTTY key file's private lines (.ppk, which Windows
users' SSH setups hold) and a wallet's recovery phrase (a BIP39 mnemonic: 12 to 24 words that
are the wallet, as web3 projects keep them in .env and Hardhat or Truffle configs).

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

from forge.scrub.builtin import _add, _cased
from forge.scrub.gutters import GUTTER

_BREAK = r"(?:\r?\n|(?:\\r)?\\n)"
_B64_LINE = r"[A-Za-z0-9+/=]{4,64}(?=[ \t]*(?:\r?\n|\\[rn]|\\?\"|$))"  # a whole line (not Private-MAC's word)

# PuTTY-User-Key-File-2/3: `Private-Lines: N` then N lines of base64 (unencrypted, the key
# itself; encrypted, what a passphrase opens), then Private-MAC
_add(
    "putty_private_key",
    "private_key",
    # (its lines past a gutter too, as the Read tool shows the file)
    r"Private-Lines:[ \t]*[0-9]{1,3}"
    + _BREAK
    + rf"{GUTTER}?(?P<s>{_B64_LINE}(?:{_BREAK}{GUTTER}?{_B64_LINE}){{0,63}})",
    priority=100,
    prefilter=("Private-Lines:",),
    anchor="Private-Lines:",
    window=(0, 4_500),
    description="the private lines of a PuTTY key file (.ppk)",
)

# A recovery phrase under a key that names it: MNEMONIC="word ... word", mnemonic: '...',
# SEED_PHRASE=... (12, 15, 18, 21 or 24 lower-case words; BIP39's words are 3 to 8 letters)
_PHRASE = r"[a-z]{3,8}(?:[ ]+[a-z]{3,8}){11,23}"
_add(
    "recovery_phrase",
    "private_key",
    r"(?:" + _cased("mnemonic", "seed phrase", "recovery phrase", "secret phrase", "seed words", "wallet seed") + r")"
    r"\\?[\"']?[ \t]*(?:=|:|=>)[ \t]*\\?[\"'`]?(?P<s>" + _PHRASE + r")(?=\\?[\"'`]|[ \t]*(?:$|\r?\n|\\n|,|;))",
    priority=90,
    prefilter=("nemonic", "NEMONIC", "hrase", "HRASE", "eed", "EED"),
    anchor=r"(?i)(?:mnemonic|(?:seed|recovery|secret)[_\- ]?phrase|seed[_\- ]?words|wallet[_\- ]?seed)",
    window=(0, 260),
    description="a wallet's recovery phrase (BIP39 mnemonic) under a key that names it",
)
