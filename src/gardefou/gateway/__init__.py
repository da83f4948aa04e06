"""The gateway: an OpenAI-compatible moderating proxy with keys, rate limits and an audit trail.

Build an app with ``create_app(config)``; run it with ``gardefou serve``.
"""

from gardefou.gateway.app import create_app
from gardefou.gateway.config import GatewayConfig, load_config, parse_config
from gardefou.gateway.keys import KeyStore

__all__ = ["GatewayConfig", "KeyStore", "create_app", "load_config", "parse_config"]
