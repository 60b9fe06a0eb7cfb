"""The chat format Forge's tiny base model speaks (tool calls are parsed in models.tool_calls).

ChatML turns (`<|im_start|>role ... <|im_end|>`) with tools listed in the system turn and tool
calls written as `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`: the Qwen2.5 /
Hermes convention, which most open agent models and Ollama templates already use. The
`{% generation %}` markers let TRL compute loss on assistant tokens only.

Tools are listed compactly, one a line, in the shape of the call the model writes:
`{"name": "Bash", "arguments": {"command": "string", "timeout?": "integer"}, "description": "..."}`
(arguments in the schema's order, optional ones marked `?`, each with its JSON type). A full JSON
schema costs ~150 tokens a tool and agent sessions offer several: in a 1,024-token window they
left a third for the conversation. Measured on the demo (train/defaults.py): 819 → 611 tokens
of a five-tool prompt, and the held-out score 56.0% → 70.8%; bare signatures without the JSON
shape (`Bash(command, timeout?)`) fell to 19.3%, since the tiny model copies argument names from
the listing into its calls. Argument descriptions are left out and the description is written
as it is (not JSON-escaped), which Ollama's template can reproduce byte for byte.
Pure: no heavy imports.
"""

from __future__ import annotations

BOS_EOS = "<|endoftext|>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
TOOL_CALL_OPEN, TOOL_CALL_CLOSE = "<tool_call>", "</tool_call>"
TOOL_RESPONSE_OPEN, TOOL_RESPONSE_CLOSE = "<tool_response>", "</tool_response>"
SPECIAL_TOKENS = [BOS_EOS, IM_START, IM_END, TOOL_CALL_OPEN, TOOL_CALL_CLOSE, TOOL_RESPONSE_OPEN, TOOL_RESPONSE_CLOSE]

TOOLS_PREAMBLE = (
    "# Tools\nYou may call one or more functions. Function signatures are inside <tools></tools>, "
    "one a line (arguments ending in ? are optional):\n<tools>"
)
TOOLS_POSTAMBLE = (
    "</tools>\nFor each call, return a JSON object with the function name and "
    "arguments inside <tool_call></tool_call> tags."
)

# One tool's line (see the module docstring); `tool` is an OpenAI {"type", "function"} entry or a
# bare {"name", "parameters"} one.
TOOL_SIGNATURE = (
    "{% set fn = tool.function if tool.function is defined else tool %}"
    "{% set params = fn.parameters if fn.parameters is defined and fn.parameters else {} %}"
    "{% set req = params.required if params.required is defined and params.required else [] %}"
    "{% set props = params.properties if params.properties is defined and params.properties else {} %}"
    '{{ \'\\n\' }}{"name": "{{ fn.name }}", "arguments": {{ \'{\' }}'
    "{% for name, p in props.items() %}{% if not loop.first %}, {% endif %}"
    '"{{ name }}{% if name not in req %}?{% endif %}": '
    '{% if p.type is defined %}{{ p.type | tojson }}{% else %}"any"{% endif %}'
    "{% endfor %}{{ '}' }}"
    '{% if fn.description %}, "description": "{{ fn.description }}"{% endif %}}'
)

# HF renders templates with trim_blocks: a newline right after a block tag is dropped, so
# newlines that must follow one are written as {{ '\n' }}.
CHAT_TEMPLATE = (
    "{% if messages[0].role == 'system' %}{% set system = messages[0].content %}"
    "{% set rest = messages[1:] %}{% else %}{% set system = '' %}{% set rest = messages %}{% endif %}"
    "{% if tools %}"
    "<|im_start|>system\n{% if system %}{{ system }}{{ '\n\n' }}{% endif %}"
    + TOOLS_PREAMBLE
    + "{% for tool in tools %}"
    + TOOL_SIGNATURE
    + "{% endfor %}{{ '\n' }}"
    + TOOLS_POSTAMBLE
    + "<|im_end|>{{ '\n' }}"
    "{% elif system %}<|im_start|>system\n{{ system }}<|im_end|>{{ '\n' }}{% endif %}"
    "{% for message in rest %}"
    "{% if message.role == 'assistant' %}"
    "<|im_start|>assistant\n{% generation %}{{ message.content or '' }}"
    "{% if message.tool_calls %}{% for call in message.tool_calls %}"
    "{% if call.function is defined %}{% set call = call.function %}{% endif %}"
    "{% if (message.content or '') or not loop.first %}{{ '\n' }}{% endif %}"
    '<tool_call>\n{"name": "{{ call.name }}", "arguments": '
    "{% if call.arguments is string %}{{ call.arguments }}{% else %}{{ call.arguments | tojson }}{% endif %}"
    "}\n</tool_call>"
    "{% endfor %}{% endif %}<|im_end|>{% endgeneration %}{{ '\n' }}"
    "{% elif message.role == 'tool' %}"
    "<|im_start|>tool\n<tool_response>\n{{ message.content }}\n</tool_response><|im_end|>{{ '\n' }}"
    "{% else %}"
    "<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>{{ '\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
