"""A password typed into a web page's password field by browser automation
(scrub/browser_forms.py): Playwright MCP's calls and the code it echoes, and Playwright,
Puppeteer, Cypress, Selenium and WebdriverIO test code, each shape from its tool's documentation;
bare, inside a transcript line, and through the ingest path. Other fields stay."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

PW = "tangerine-Otter-42"  # made up
TYPED = [
    f"await page.fill('#password', '{PW}')",
    f"page.getByLabel('Password').fill('{PW}')",
    f"await page.getByRole('textbox', {{ name: 'Password' }}).fill('{PW}');",
    f"await page.type('input[name=password]', '{PW}')",
    f'await page.locator(\'input[type="password"]\').first().fill("{PW}")',
    f"cy.get('#password').type('{PW}')",
    f'driver.find_element(By.ID, "password").send_keys("{PW}")',
    f"driver.find_element_by_name('passwd').send_keys('{PW}')",
    f"await $('#password').setValue('{PW}')",
    f'// Fill "{PW}" into "Password textbox"',
    f'// Press "{PW}" sequentially into "Password field"',
    json.dumps({"element": "Password field", "ref": "e12", "text": PW, "submit": True}),
    json.dumps({"ref": "e12", "text": PW, "element": "password input"}),
    json.dumps(
        {
            "fields": [
                {"name": "Email", "type": "textbox", "ref": "e4", "value": "qa@corp-mail.io"},
                {"name": "Password", "type": "textbox", "ref": "e5", "value": PW},
            ]
        }
    ),
]
KEPT = [
    "await page.fill('#username', 'alice')",
    "page.getByLabel('Password').fill(process.env.E2E_PASSWORD)",
    "cy.get('#password').type(Cypress.env('password'))",
    json.dumps({"element": "Username field", "ref": "e11", "text": "alice"}),
    json.dumps({"element": "Password field", "ref": "e12"}),  # a click: nothing typed
    json.dumps({"fields": [{"name": "Password", "ref": "e5"}, {"name": "Name", "ref": "e6", "value": "Ada"}]}),
]


@pytest.mark.parametrize("text", TYPED)
def test_the_password_goes_bare_and_in_a_transcript_line(text):
    clean = Scrubber().scrub_text(text)
    assert PW not in clean and "<SECRET:password>" in clean
    call = {"type": "tool_use", "id": "toolu_1", "name": "mcp__playwright__browser_type", "input": {"code": text}}
    line = json.dumps({"type": "assistant", "message": {"content": [call]}})
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert PW not in clean_line


def test_an_mcp_call_and_its_echo_in_a_claude_code_session(tmp_path):
    from forge.ingest.claude_code import read

    call = {"element": "Password field", "ref": "e12", "text": PW, "submit": True}
    echo = f'// Fill "{PW}" into "Password field"\n' + f"await page.getByLabel('Password').fill('{PW}');"
    lines = [
        {"type": "user", "uuid": "u1", "sessionId": "s", "message": {"role": "user", "content": "log in"}},
        {
            "type": "assistant",
            "uuid": "a1",
            "parentUuid": "u1",
            "sessionId": "s",
            "message": {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "mcp__playwright__browser_type", "input": call}],
            },
        },
        {
            "type": "user",
            "uuid": "u2",
            "parentUuid": "a1",
            "sessionId": "s",
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": echo}]},
        },
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    (conversation,) = read(path, lambda *a, **k: None)
    assert PW not in repr(Scrubber().scrub_conversation(conversation))
    assert PW not in "".join(scrub_json_lines(path.read_text(encoding="utf-8").splitlines(), Scrubber()))


@pytest.mark.parametrize("text", KEPT)
def test_other_fields_references_and_clicks_stay(text):
    assert "<SECRET:password>" not in Scrubber().scrub_text(text)
