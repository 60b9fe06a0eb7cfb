"""A password typed into a web page's password field by browser automation.

Agents log in to the app they are testing: through Playwright's MCP server (`browser_type` with
`{"element": "Password field", "ref": "e12", "text": "..."}`, `browser_fill_form` with a field
named Password and its `value`, whose result echoes the code it ran: `// Fill "..." into
"Password field"` and `await page.getByRole('textbox', { name: 'Password' }).fill('...')`), or in
test code: Playwright's `page.fill('#password', '...')` and `getByLabel('Password').fill('...')`,
Puppeteer's `page.type(...)`, Cypress's `cy.get('#password').type('...')`, Selenium's
`find_element(By.ID, "password").send_keys("...")`, WebdriverIO's `$('#password').setValue(...)`.
The field's name says the value is a password, so any value a password rule takes counts
(validators.quoted_password). Shapes from each tool's documentation.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from forge.scrub import validators as v
from forge.scrub.builtin import _QUOTED, _add
from forge.scrub.detectors import Detector, register_detector

_PASS = r"(?i:pass(?:word|wd|phrase|code)?|pwd)"
_Q = r"\\?[\"'`]"
_SELECTOR = r"[^\"'`()\r\n]{0,120}?" + _PASS + r"[^\"'`()\r\n]{0,120}"
# a locator that names a password field (its arguments hold the word, no call inside them)
_LOCATOR = (
    r"(?:getBy[A-Z][A-Za-z]{1,20}|locator|\$|get|find_element(?:_by_[a-z_]{2,20})?|findElement|querySelector)"
    r"\([^()\r\n]{0,160}?" + _PASS + r"[^()\r\n]{0,160}?\)"
)
_ACTION = r"(?:fill|type|pressSequentially|send_keys|sendKeys|setValue|addValue)"
_add(
    "browser_password_field",
    "password",
    # locator('#password').fill('...'), getByRole('textbox', { name: 'Password' }).first().fill('...')
    r"(?:(?:"
    + _LOCATOR
    + r"(?:\s*\.\s*(?:first|last|nth)\([0-9]{0,3}\))?\s*\.\s*"
    + _ACTION
    + r"\(\s*"
    # page.fill('#password', '...'), page.type('input[name=password]', '...')
    + r"|\.(?:fill|type)\(\s*"
    + _Q
    + _SELECTOR
    + _Q
    + r"\s*,\s*)"
    + _QUOTED
    # Playwright MCP's echo of what it ran: // Fill "..." into "Password field"
    + r"|//[ \t]*(?:Fill|Press)[ \t]+\\?\"(?P<mcp>[^\"\\\r\n]{1,256})\\?\"(?:[ \t]+sequentially)?[ \t]+into[ \t]+\\?\""
    + _SELECTOR
    + r"\\?\")",
    group=("dq", "sq", "mcp"),
    priority=70,
    prefilter=("fill(", "type(", "pressSequentially(", "send_keys(", "sendKeys(", "setValue(", "addValue(", "//"),
    validator=v.quoted_password,
    # (at the action, which a match holds and few texts do: "pass" is in every test run's PASSED)
    anchor=r"\.(?:fill|type|pressSequentially|send_keys|sendKeys|setValue|addValue)\(|//[ \t]*(?:Fill|Press)[ \t]",
    window=(400, 600),
    description="a password filled into a web form's password field by Playwright, Puppeteer, Cypress or Selenium",
)

# An HTML form's password field with its value written in (a template, a test page, a page the
# agent fetched): <input type="password" name="pwd" value="...">, its attributes in any order;
# the field's type says the value is a password
_add(
    "html_password_input",
    "password",
    r"<(?i:input)\b(?=[^<>]{0,400}?\b(?i:type)\s*=\s*\\?[\"']?(?i:password)\b)[^<>]{0,400}?\b(?i:value)\s*=\s*"
    r"(?:\\?\"(?P<dq>[^\"\\<>\r\n]{1,256})\\?\"|'(?P<sq>[^'\\<>\r\n]{1,256})')",
    group=("dq", "sq"),
    priority=70,
    prefilter=("<input", "<INPUT", "<Input"),
    validator=v.quoted_password,
    anchor=r"<(?:input|INPUT|Input)\b",
    window=(0, 900),
    description='<input type="password" value="..."> (an HTML password field with its value written in)',
)

# Playwright MCP's calls: a flat object naming a password field and holding the text typed in it,
# in either order ({"element": "Password", "ref": "e5", "text": "..."}; browser_fill_form's
# fields: {"name": "Password", "type": "textbox", "ref": "e5", "value": "..."})
_FIELD_NAME = re.compile(r"\\?\"(?:element|name|label)\\?\"\s*:\s*\\?\"[^\"\\\r\n]{0,80}?" + _PASS)
_FIELD_TEXT = re.compile(r"\\?\"(?:text|value)\\?\"\s*:\s*\\?\"(?P<v>[^\"\\\r\n]{1,256})\\?\"")
_OBJECT_REACH = 600


def mcp_password_fields(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of the text typed into a password field a browser tool's call names (hits:
    where a field's name may be, the rule engine's anchor hits; None: searched here)."""
    spans = hits if hits is not None else [m.span() for m in _FIELD_NAME.finditer(text)]
    seen: set[int] = set()
    for hit_start, _ in spans:
        open_at = text.rfind("{", max(0, hit_start - _OBJECT_REACH), hit_start)
        close_at = text.find("}", hit_start, hit_start + _OBJECT_REACH)
        if open_at < 0 or close_at < 0 or open_at in seen or "}" in text[open_at:hit_start]:
            continue
        if "{" in text[hit_start:close_at]:
            continue  # not a flat object: its text may be another field's
        seen.add(open_at)
        if _FIELD_NAME.search(text, open_at, close_at) is None:
            continue
        m = _FIELD_TEXT.search(text, open_at, close_at)
        if m is not None:
            yield m.span("v")


register_detector(
    Detector(
        name="mcp_password_field",
        kind="password",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=mcp_password_fields,
        finder_takes_hits=True,
        priority=70,
        prefilter=("element", "name", "label"),
        validator=v.quoted_password,
        anchor=re.compile(r"(?i)\"(?:element|name|label)\\?\"\s*:\s*\\?\"[^\"\\\r\n]{0,80}(?:pass|pwd)"),
        window=(0, 0),
        description='Playwright MCP: {"element": "Password", "text": "..."}, a fill_form field named Password',
    )
)
