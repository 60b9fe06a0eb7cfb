"""Provider tokens that carry a documented prefix, for AI APIs and developer platforms that the
rule engine's catalogue lacks or only finds beside a keyword (`export X=tvly-...` has none).

Each shape comes from the provider's own documentation of its keys. A prefix alone is cheap to
find (a literal for the engine) and rare in prose; bodies with loose prefixes must also mix
letters and digits (`mixed_token`), which words and masks do not.
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _TOKEN_END, _WORD, _add, _start
from forge.scrub.provider_formats import _token

_token(
    "openai_client_secret",
    "openai_key",
    "ek_",
    r"[a-f0-9]{32}",
    width=40,
    validator=v.mixed_token,
    anchor=r"ek_[a-f0-9]{32}",  # ("ek_" alone is in names)
    description="OpenAI Realtime ephemeral client secrets (ek_ + 32 hex digits)",
)
_token(
    "tavily_key",
    "tavily_key",
    "tvly-",
    r"(?:(?:dev|prod)-)?[A-Za-z0-9]{32}",
    width=50,
    validator=v.mixed_token,
    description="Tavily API keys (tvly-, tvly-dev-)",
)
_token(
    "jina_key",
    "jina_key",
    "jina_",
    r"[A-Za-z0-9]{40,80}",
    width=90,
    validator=v.mixed_token,
    description="Jina AI API keys (jina_)",
)
_token(
    "crates_io_token",
    "crates_io_token",
    "cio",
    r"[A-Za-z0-9]{32}",
    width=40,
    validator=v.mixed_token,
    anchor=r"cio[A-Za-z0-9]{32}",  # "cio" alone is in words
    description="crates.io API tokens (cio + 32 characters)",
)
_token(
    "fireworks_key",
    "fireworks_key",
    "fw_",
    r"[A-Za-z0-9]{24}",
    width=30,
    validator=v.mixed_token,
    anchor=r"fw_[A-Za-z0-9]{24}",
    description="Fireworks AI API keys (fw_ + 24 characters)",
)
_token(
    "replicate_token",
    "replicate_token",
    "r8_",
    r"[A-Za-z0-9]{37}",
    width=45,
    validator=v.mixed_token,
    anchor=r"r8_[A-Za-z0-9]{37}",  # ("r8_" alone is in register names)
    description="Replicate API tokens (r8_ + 37 characters)",
)
_token(
    "pinecone_key",
    "pinecone_key",
    "pcsk_",
    r"[A-Za-z0-9]{4,10}_[A-Za-z0-9]{40,80}",
    width=100,
    validator=v.mixed_token,
    description="Pinecone API keys (pcsk_<id>_<secret>)",
)
_token(
    "supabase_secret_key",
    "supabase_key",
    "sb_secret_",
    r"[A-Za-z0-9_\-]{20,64}",
    width=80,
    validator=v.mixed_token,
    description="Supabase secret API keys (sb_secret_; sb_publishable_ keys are public and stay)",
)
_token(
    "render_key",
    "render_key",
    "rnd_",
    r"[A-Za-z0-9]{32}",
    width=40,
    validator=v.mixed_token,
    description="Render API keys (rnd_)",
)
_token(
    "netlify_token",
    "netlify_token",
    "nf[pcu]_",
    r"[A-Za-z0-9]{36,40}",
    width=50,
    validator=v.mixed_token,
    prefilter=("nfp_", "nfc_", "nfu_"),
    description="Netlify personal and OAuth access tokens (nfp_, nfc_, nfu_)",
)
_token(
    "planetscale_token",
    "planetscale_token",
    "pscale_",
    r"(?:tkn|pw|oauth)_[A-Za-z0-9_\-.]{32,64}",
    width=80,
    validator=v.mixed_token,
    description="PlanetScale service tokens, database passwords and OAuth tokens (pscale_tkn_, pscale_pw_)",
)
_token(
    "sentry_org_token",
    "sentry_token",
    "sntrys_",
    r"[A-Za-z0-9+/=_\-]{60,400}",
    width=420,
    validator=v.mixed_token,
    description="Sentry organization auth tokens (sntrys_)",
)
_token(
    "contentful_token",
    "contentful_token",
    "CFPAT-",
    r"[A-Za-z0-9_\-]{43}",
    width=50,
    validator=v.mixed_token,
    description="Contentful personal access tokens (CFPAT-)",
)
_token(
    "typeform_token",
    "typeform_token",
    "tfp_",
    r"[A-Za-z0-9_\-.=]{40,59}",
    width=65,
    validator=v.mixed_token,
    description="Typeform personal access tokens (tfp_)",
)
_token(
    "nuget_key",
    "nuget_key",
    "oy2",
    r"[a-z0-9]{43}",
    width=50,
    validator=v.mixed_token,
    anchor=r"oy2[a-z0-9]{43}",
    description="NuGet API keys (oy2 + 43 characters)",
)
_token(
    "huggingface_org_token",
    "huggingface_token",
    "api_org_",
    r"[A-Za-z0-9]{34}",
    width=45,
    validator=v.mixed_token,
    description="Hugging Face organization API tokens (api_org_)",
)
_token(
    "launchdarkly_key",
    "launchdarkly_key",
    "(?:api|sdk|mob)-",
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    width=45,
    prefilter=("api-", "sdk-", "mob-"),
    not_after=_WORD + r"\-",  # my-api-<uuid> is a name
    anchor=r"(?:api|sdk|mob)-[0-9a-f]{8}-[0-9a-f]{4}-",
    description="LaunchDarkly API, SDK and mobile keys (api-, sdk-, mob- and a UUID)",
)
_token(
    "bitbucket_app_password",
    "bitbucket_token",
    "ATBB",
    r"[A-Za-z0-9_=.\-]{32,60}",
    width=70,
    validator=v.mixed_token,
    description="Bitbucket app passwords (ATBB)",
)

_token(
    "mailgun_key",
    "mailgun_key",
    "key-",
    r"[0-9a-f]{32}",
    width=40,
    anchor=r"key-[0-9a-f]{32}",
    not_after=_WORD + r"\-",  # cache-key-<digest> is a name
    description="Mailgun private API keys (key- + 32 hex)",
)
# Okta API tokens have no prefix of their own; the SSWS scheme they are sent with names them.
_add(
    "okta_token",
    "okta_token",
    r"\bSSWS\s+(?P<s>00[A-Za-z0-9_\-]{40})" + _TOKEN_END,
    priority=90,
    prefilter=("SSWS",),
    validator=v.mixed_token,
    anchor="SSWS",
    window=(0, 60),
    description="Okta API tokens in an SSWS authorization header",
)
# Webhook URLs whose path is the credential: the host and ids stay, the secret part goes.
_add(
    "discord_webhook",
    "discord_webhook",
    r"\bdiscord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<s>[A-Za-z0-9_\-]{60,72})" + _TOKEN_END,
    priority=90,
    prefilter=("/api/webhooks/",),
    validator=v.mixed_token,
    anchor=r"\.com/api/webhooks/",
    window=(20, 100),
    description="Discord webhook tokens (discord.com/api/webhooks/<id>/<token>)",
)
_add(
    "zapier_webhook",
    "zapier_webhook",
    r"\bhooks\.zapier\.com/hooks/catch/[0-9]{4,12}/(?P<s>[a-z0-9]{5,12})(?![A-Za-z0-9])",
    priority=90,
    prefilter=("hooks.zapier.com",),
    validator=v.not_mask,  # the secret is short (6 characters): too short for mixed_token's entropy
    anchor=r"hooks\.zapier\.com/hooks/catch/",
    window=(0, 60),
    description="Zapier catch-hook secrets (hooks.zapier.com/hooks/catch/<id>/<secret>)",
)
_add(
    "ifttt_webhook",
    "ifttt_webhook",
    r"\bmaker\.ifttt\.com/(?:trigger/[^/\s\"'\\]{1,100}/(?:json/)?with/key|use)/(?P<s>[A-Za-z0-9_\-]{16,64})(?![A-Za-z0-9_\-])",
    priority=90,
    prefilter=("maker.ifttt.com",),
    validator=v.not_mask,
    anchor=r"maker\.ifttt\.com/",
    window=(0, 220),
    description="IFTTT Webhooks keys (maker.ifttt.com/trigger/<event>/with/key/<key>)",
)
_add(
    "make_webhook",
    "make_webhook",
    r"\bhook\.(?:[a-z]{2}[0-9]\.)?(?:make|integromat)\.com/(?P<s>[a-z0-9]{24,40})(?![A-Za-z0-9])",
    priority=90,
    prefilter=("make.com", "integromat.com"),
    validator=v.not_mask,
    anchor=r"hook\.(?:[a-z]{2}[0-9]\.)?(?:make|integromat)\.com/",
    window=(0, 50),
    description="Make (Integromat) webhook URLs (hook.eu1.make.com/<secret>)",
)
_add(
    "feishu_lark_webhook",
    "feishu_lark_webhook",
    r"\bopen\.(?:feishu\.cn|larksuite\.com)/open-apis/bot/v2/hook/(?P<s>[A-Za-z0-9\-]{20,64})(?![A-Za-z0-9\-])",
    priority=90,
    prefilter=("/open-apis/bot/",),
    validator=v.not_mask,
    anchor=r"/open-apis/bot/v2/hook/",
    window=(30, 70),
    description="Feishu and Lark bot webhook URLs (open.feishu.cn/open-apis/bot/v2/hook/<id>)",
)
_add(
    "cloudflare_token",
    "cloudflare_token",
    _start("A-Za-z0-9_") + r"(?P<s>cf(?:k|ut|at)_[A-Za-z0-9]{40}[A-Za-z0-9]{8})" + _TOKEN_END,  # 8: the checksum
    priority=90,
    prefilter=("cfk_", "cfut_", "cfat_"),
    validator=v.mixed_token,
    anchor="cf(?:k|ut|at)_[A-Za-z0-9]{40}",
    window=(1, 60),
    description="Cloudflare's scannable API keys and tokens (cfk_, cfut_, cfat_ + 40 characters + 8 of checksum)",
)
_token(
    "square_oauth_secret",
    "square_token",
    "sq0csp-",
    r"[A-Za-z0-9_\-]{40,50}",  # 43 in Square's docs; the prefix alone says what it is
    width=60,
    validator=v.mixed_token,
    description="Square OAuth application secrets (sq0csp- + 43 characters, 40 to 50 accepted)",
)
_token(
    "google_oauth_refresh_token",
    "google_oauth_token",
    "1//0",
    r"[A-Za-z0-9_\-]{40,512}",
    width=520,
    validator=v.mixed_token,
    not_after=_WORD + r"/:",
    description="Google OAuth refresh tokens (1//0...)",
)
# Printed once by `vault operator init`; any 3 of 5 unseal the whole store
_add(
    "vault_unseal_key",
    "vault_unseal_key",
    r"\b(?:Unseal|Recovery) Key [0-9]{1,2}: (?P<s>[A-Za-z0-9+/]{20,200}={0,2})" + _TOKEN_END,
    priority=90,
    prefilter=("Unseal Key", "Recovery Key"),
    validator=v.not_mask,
    anchor=r"(?:Unseal|Recovery) Key [0-9]{1,2}: ",
    window=(0, 230),
    description="Vault unseal and recovery key shares as `vault operator init` prints them",
)
# Azure Functions' function and host keys ride in the URL: https://APP.azurewebsites.net/api/fn?code=KEY
_add(
    "azure_function_key",
    "azure_function_key",
    r"\.azurewebsites\.net/[^\s?\"'<>]{0,200}\?(?:[^\s\"'<>#]{0,200}&)?code=(?P<s>[A-Za-z0-9_\-]{40,100}={0,2})"
    + _TOKEN_END,
    priority=90,
    prefilter=(".azurewebsites.net/",),
    validator=v.mixed_token,
    anchor=r"\.azurewebsites\.net/",
    window=(0, 520),
    description="Azure Functions keys in a function URL (?code=)",
)

_add(
    "mailchimp_key",
    "mailchimp_key",
    _start("A-Za-z0-9") + r"(?P<s>[0-9a-f]{32}-us[0-9]{1,2})(?![A-Za-z0-9])",
    priority=90,
    prefilter=("-us",),
    validator=v.mixed_token,
    anchor=r"[0-9a-f]{32}-us[0-9]",
    window=(0, 8),
    description="Mailchimp API keys (32 hex characters, then -us and the data centre)",
)
_token(
    "square_access_token",
    "square_token",
    "EAAA",
    r"[A-Za-z0-9_\-+=]{60}",
    width=70,
    validator=v.mixed_token,
    anchor=r"EAAA[A-Za-z0-9_\-+=]{60}",  # "EAAA" alone is in base64 and hex
    description="Square access tokens (EAAA + 60 characters)",
)
_add(
    "maven_master_password",
    "password",
    r"<master>\{(?P<s>[A-Za-z0-9+/=]{16,400})\\?\}</master>",  # the braces stay: they mark it encrypted
    priority=90,
    prefilter=("<master>",),
    validator=v.high_entropy,
    anchor="<master>",
    window=(0, 420),
    description="Maven's master password in settings-security.xml (<master>{...}</master>)",
)

_token(
    "langsmith_key",
    "langsmith_key",
    "lsv2_",
    r"(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}",
    width=60,
    description="LangSmith API keys (lsv2_pt_ personal, lsv2_sk_ service)",
)
_token(
    "modal_token",
    "modal_token",
    "a",
    r"[ks]-[A-Za-z0-9]{22}",
    width=30,
    validator=v.mixed_token,
    anchor=r"a[ks]-[A-Za-z0-9]{22}",  # "ak-"/"as-" alone are in words
    description="Modal token ids and secrets (ak-, as- + 22 characters)",
)
_token(
    "tailscale_key",
    "tailscale_key",
    "tskey-",
    r"(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{8,20}-[A-Za-z0-9]{20,40}",
    width=80,
    validator=v.mixed_token,
    description="Tailscale auth, API, OAuth client, SCIM and webhook keys (tskey-...)",
)
_token(
    "browserbase_key",
    "browserbase_key",
    "bb_live_",
    r"[A-Za-z0-9_\-]{20,40}",
    width=50,
    validator=v.mixed_token,
    description="Browserbase API keys (bb_live_)",
)
_token(
    "e2b_key",
    "e2b_key",
    "e2b_",
    r"[0-9a-f]{40}",
    width=45,
    description="E2B API keys (e2b_ + 40 hex digits)",
)
_token(
    "firecrawl_key",
    "firecrawl_key",
    "fc-",
    r"[0-9a-f]{32}",
    width=36,
    validator=v.mixed_token,
    anchor=r"fc-[0-9a-f]{32}",  # "fc-" alone is in names
    description="Firecrawl API keys (fc- + 32 hex digits)",
)
_token(
    "elevenlabs_key",
    "elevenlabs_key",
    "sk_",
    r"[0-9a-f]{48}",
    width=52,
    validator=v.mixed_token,
    anchor=r"sk_[0-9a-f]{48}",
    description="ElevenLabs API keys (sk_ + 48 hex digits)",
)
_token(
    "webhook_signing_secret",
    "webhook_secret",
    "whsec_",
    r"[A-Za-z0-9+/]{32,88}={0,2}",
    width=100,
    validator=v.mixed_token,
    description="webhook signing secrets (whsec_: Stripe, and Svix for Clerk, Resend ...)",
)

# Zapier's MCP server URLs carry their credential in the path ("treat it like a password"):
# https://mcp.zapier.com/api/mcp/s/<secret>/mcp, and the older actions.zapier.com/mcp/sk-ak-<key>/sse
_add(
    "zapier_mcp_url",
    "secret",
    r"\bmcp\.zapier\.com/api/mcp/s/(?P<s>[A-Za-z0-9_+\-]{20,400}={0,2})(?![A-Za-z0-9_+=\-])"
    r"|\bactions\.zapier\.com/mcp/(?P<a>sk-ak-[A-Za-z0-9]{20,100})(?![A-Za-z0-9])",
    group=("s", "a"),
    priority=90,
    prefilter=("zapier.com/",),
    validator=v.mixed_token,
    anchor=r"zapier\.com/(?:api/)?mcp/",
    window=(8, 460),
    description="Zapier MCP server URLs' path credentials (mcp.zapier.com/api/mcp/s/..., sk-ak-...)",
)
# AWS STS session tokens carry no key name when a CLI prints one alone (`aws configure get
# aws_session_token`, a credential_process's output piped on); their base64 opens with the same
# few bytes: IQoJb3JpZ2luX2 (since 2019), FwoGZXIvYXdzE and FQoGZXIvYXdzE (older)
_add(
    "aws_session_token",
    "aws_session_token",
    _start("A-Za-z0-9+/")
    + r"(?P<s>(?:IQoJb3JpZ2luX2|FwoGZXIvYXdzE|FQoGZXIvYXdzE)[A-Za-z0-9+/]{100,4096}={0,2})"
    + r"(?![A-Za-z0-9+/=_\-])",
    priority=90,
    prefilter=("IQoJb3JpZ2luX2", "woGZXIvYXdzE"),
    validator=v.not_mask,
    anchor=r"IQoJb3JpZ2luX2|[FQ]woGZXIvYXdzE",
    window=(1, 4120),
    description="AWS STS session tokens (base64 opening IQoJb3JpZ2luX2, FwoGZXIvYXdzE or FQoGZXIvYXdzE)",
)

NAMES = (
    "aws_session_token",
    "zapier_mcp_url",
    "tavily_key",
    "jina_key",
    "crates_io_token",
    "fireworks_key",
    "replicate_token",
    "pinecone_key",
    "supabase_secret_key",
    "render_key",
    "netlify_token",
    "planetscale_token",
    "sentry_org_token",
    "contentful_token",
    "typeform_token",
    "nuget_key",
    "huggingface_org_token",
    "launchdarkly_key",
    "bitbucket_app_password",
    "mailgun_key",
    "okta_token",
    "discord_webhook",
    "zapier_webhook",
    "ifttt_webhook",
    "make_webhook",
    "feishu_lark_webhook",
    "cloudflare_token",
    "square_oauth_secret",
    "google_oauth_refresh_token",
    "vault_unseal_key",
    "azure_function_key",
    "mailchimp_key",
    "square_access_token",
    "maven_master_password",
    "langsmith_key",
    "modal_token",
    "tailscale_key",
    "browserbase_key",
    "e2b_key",
    "firecrawl_key",
    "elevenlabs_key",
    "webhook_signing_secret",
)
